"""Background work of the contacts app. Tasks take ids, load what they need, call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="contacts.import_run", acks_late=True)
def contact_import_run_task(*, workspace_id: int, import_id: int) -> None:
    """Run or continue one import. Running it twice is harmless (see importing.engine)."""
    from mailsoftly.contacts.imports import contact_import_run
    from mailsoftly.contacts.models import ContactImport
    from mailsoftly.teams.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    job = ContactImport.objects.for_workspace(workspace).filter(pk=import_id).first()
    if job is not None:
        contact_import_run(contact_import=job)
