"""Sent email as files (policy P25): each sent email as an ``.eml``, each campaign as an mbox.

A campaign freezes its content when it starts, and a message's bytes are a pure function
of that content, the recipient and the delivery id (the Message-ID, unsubscribe and
tracking links are all derived from the delivery). So the export rebuilds every sent
message through the campaign's own composer instead of keeping a copy of each one. Two
differences from what left the server, both stated in the archive's README:

* ``Date`` is the delivery's ``sent_at``, not the time of the export;
* there is no DKIM signature: a fresh one would claim a signing that never happened.

Only live rows are used (P27): campaigns in the trash are skipped with their deliveries,
and a recipient whose contact is in the trash is left out. Messages stream into the
archive one by one, so memory stays flat however large the campaign.
"""

from __future__ import annotations

import email.utils
import mailbox
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from mailsoftly.lifecycle.models import ExportJob

BATCH = 500

README = """\
Sent email exported from Mailsoftly
===================================

Every message is rebuilt from the campaign's stored content for its recipient, with
the same Message-ID, subject, body, unsubscribe and tracking links as when it was sent.
The Date header is the time it was sent. Messages carry no DKIM signature: signatures
are made when a message leaves the server, so an archived copy cannot carry the
original one.

{layout}
"""


def _sent_campaigns(workspace) -> list:
    from mailsoftly.campaigns.models import Campaign, Delivery, DeliveryStatus

    with_sent = (
        Delivery.objects.for_workspace(workspace)
        .filter(status=DeliveryStatus.SENT, idempotency_key__isnull=True)
        .values("campaign_id")
    )
    return list(Campaign.objects.for_workspace(workspace).filter(pk__in=with_sent).order_by("pk"))


def _recipient_data(workspace, contact_ids: list[int]) -> dict[int, dict]:
    """Merge data of live contacts, shaped as the send path shapes it."""
    from mailsoftly.contacts.models import Contact

    rows = (
        Contact.objects.for_workspace(workspace)
        .filter(pk__in=contact_ids)
        .values("pk", "email", "first_name", "last_name", "fields")
    )
    found = {}
    for row in rows:
        data = {**(row["fields"] or {})}
        data.update(email=row["email"], first_name=row["first_name"], last_name=row["last_name"])
        data["name"] = f"{row['first_name']} {row['last_name']}".strip()
        found[row["pk"]] = data
    return found


def _with_date(data: bytes, when: datetime | None) -> bytes:
    """Replace the composer's Date (now) with the time the message was sent."""
    if when is None:
        return data
    head, separator, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    stamp = email.utils.format_datetime(when, usegmt=True).encode("ascii")
    lines = [b"Date: " + stamp if line.startswith(b"Date: ") else line for line in lines]
    return b"\r\n".join(lines) + separator + body


def sent_messages(*, campaign) -> Iterator[tuple[int, datetime | None, bytes]]:
    """(delivery id, sent at, MIME bytes) of every message of ``campaign`` that was sent."""
    from mailsoftly.campaigns.compose import Composer
    from mailsoftly.campaigns.models import Delivery, DeliveryStatus
    from mailsoftly.sending.engine import ComposeError, Recipient

    workspace = campaign.workspace
    composer = Composer(campaign=campaign)
    composer.skeleton.signers = ()  # see the module docstring: no DKIM on archived copies
    sent = (
        Delivery.objects.for_workspace(workspace)
        .filter(campaign=campaign, status=DeliveryStatus.SENT, idempotency_key__isnull=True)
        .order_by("pk")
        .values_list("pk", "contact_id", "email", "sent_at")
    )
    last = 0
    while True:
        batch = list(sent.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1][0]
        data = _recipient_data(workspace, [c for _pk, c, _e, _s in batch if c is not None])
        for pk, contact_id, address, sent_at in batch:
            if contact_id is not None and contact_id not in data:
                continue  # the contact is in the trash (P27) or gone
            merge = data.get(contact_id, {"email": address, "name": ""})
            recipient = Recipient(key=pk, email=address, name=merge["name"], data=merge)
            try:
                envelope = composer(recipient)
            except ComposeError:
                continue  # it could not be rendered now, so it was not sent like this either
            yield pk, sent_at, _with_date(envelope.data, sent_at)


def _folder(campaign) -> str:
    return f"campaign-{campaign.pk}"


def write_eml_zip(job: ExportJob, workspace, progress: Callable, target) -> None:
    """A ZIP with ``campaign-<id>/<delivery id>.eml`` for every sent email."""
    campaigns = _sent_campaigns(workspace)
    layout = "One folder per campaign, one .eml file per sent email (named by delivery id)."
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(layout=layout))
        for index, campaign in enumerate(campaigns):
            for pk, _sent_at, data in sent_messages(campaign=campaign):
                archive.writestr(f"{_folder(campaign)}/{pk}.eml", data)
            progress(job, index + 1, len(campaigns))


def write_mbox_zip(job: ExportJob, workspace, progress: Callable, target) -> None:
    """A ZIP with one ``campaign-<id>.mbox`` (mboxo, as Python's ``mailbox`` writes it)
    per campaign, holding its sent emails in the order they were queued."""
    campaigns = _sent_campaigns(workspace)
    layout = "One mbox file per campaign, holding every email it sent."
    with (
        tempfile.TemporaryDirectory(prefix="mailsoftly-mbox-") as folder,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr("README.txt", README.format(layout=layout))
        for index, campaign in enumerate(campaigns):
            path = Path(folder) / f"{_folder(campaign)}.mbox"
            box = mailbox.mbox(str(path), create=True)
            try:
                for _pk, sent_at, data in sent_messages(campaign=campaign):
                    message = mailbox.mboxMessage(data)
                    when = time.gmtime(sent_at.timestamp()) if sent_at else True
                    message.set_from(campaign.from_email or "MAILER-DAEMON", when)
                    box.add(message)
                box.flush()
            finally:
                box.close()
            archive.write(path, arcname=f"{_folder(campaign)}.mbox")
            path.unlink()
            progress(job, index + 1, len(campaigns))
