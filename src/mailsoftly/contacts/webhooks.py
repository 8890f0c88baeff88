"""What the contacts services tell the workspace's webhook endpoints.

The services call :func:`contact_webhook_emit` after their own write, inside their
transaction: ``webhooks.webhook_emit`` writes the messages in the same transaction and
delivers them after commit, so a rolled-back write never announces anything. Payloads carry
ids and the public fields of a contact, never consent records or IP addresses; an erased
contact is announced by id only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailsoftly.contacts.bulk import ContactRow
    from mailsoftly.contacts.models import Contact, ContactImport


def webhook_events_wanted(*, workspace) -> set[str]:
    """The events some enabled endpoint of the workspace subscribes to."""
    from mailsoftly.webhooks.selectors import webhook_endpoint_list

    wanted: set[str] = set()
    for events in (
        webhook_endpoint_list(workspace=workspace)
        .filter(disabled_at__isnull=True)
        .values_list("events", flat=True)
    ):
        wanted.update(events or [])
    return wanted


def contact_payload(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "status": contact.status,
        "fields": contact.fields,
    }


def contact_payload_row(pk: int, row: ContactRow) -> dict[str, Any]:
    payload: dict[str, Any] = {"id": pk, "email": row.email, "fields": row.fields}
    if row.first_name is not None:
        payload["first_name"] = row.first_name
    if row.last_name is not None:
        payload["last_name"] = row.last_name
    return payload


def contact_webhook_emit(*, workspace, event: str, data: dict[str, Any]) -> None:
    from mailsoftly.webhooks.services import webhook_emit

    webhook_emit(workspace=workspace, event=event, data=data)


def import_webhook_emit(*, contact_import: ContactImport) -> None:
    job = contact_import
    contact_webhook_emit(
        workspace=job.workspace,
        event="import.finished",
        data={
            "import": {
                "id": job.pk,
                "file_name": job.file_name,
                "mode": job.mode,
                "status": job.status,
                "list_id": job.contact_list_id,
                "rows": job.rows_done,
                "created": job.created_count,
                "updated": job.updated_count,
                "skipped": job.skipped_count,
                "errors": job.error_count,
            }
        },
    )
