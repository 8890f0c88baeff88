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


@shared_task(
    name="contacts.subscription_confirmation_send",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def subscription_confirmation_send_task(
    *, workspace_id: int, subscription_id: int, link: str
) -> int:
    """Send one double opt-in confirmation (the workspace's own mail, see subscriptions)."""
    from mailsoftly.contacts.subscriptions import subscription_confirmation_send
    from mailsoftly.teams.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    return subscription_confirmation_send(
        workspace=workspace, subscription_id=subscription_id, link=link
    )
