"""Transactional mail: one design to one address, now, with merge data.

``transactional_send(...)`` writes one :class:`~mailsoftly.campaigns.models.Delivery` and
enqueues ``transactional_send_task`` on the ``transactional`` Celery queue, which workers
serve before the campaign queue. The message then takes the campaign path: the same
routing and SMTP pool, the same DKIM keys, the suppression check just before it goes
out, the same claim/record store (so it is sent once even if a worker dies), a
Message-ID derived from the delivery, and tracking and bounces through the delivery.

What differs from a campaign:

* Each design has one hidden campaign of kind ``transactional`` (its *stream*); every
  send is a delivery of that stream. The stream's content follows the design (edits apply
  to later sends) and its counters grow by one per outcome.
* Exactly once per idempotency key: the key is unique per workspace, so a second call with
  the same key returns the first delivery and sends nothing. A key reused for another
  address or design is a :class:`TransactionalConflict`.
* No marketing-consent checks: an unsubscribed contact still gets its receipt. Only the
  suppression list (hard bounces, complaints, manual suppression) stops a message.
* No List-Unsubscribe headers or unsubscribe link.
"""

from __future__ import annotations

import secrets
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mailsoftly.campaigns.compose import Composer, message_id
from mailsoftly.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
)
from mailsoftly.campaigns.store import MAX_ATTEMPTS, DeliveryStore, _db_retry
from mailsoftly.core import clock
from mailsoftly.designs.mergetags import RenderError
from mailsoftly.sending.engine import ComposeError, Recipient
from mailsoftly.sending.mime import Envelope

QUEUE = "transactional"
MAX_MERGE_DATA_CHARS = 64 * 1024


class TransactionalConflict(ValidationError):
    """The idempotency key was already used for a different message."""


def _stream_content(design, sender) -> dict:
    from mailsoftly.campaigns.services import design_content

    return design_content(design=design, sender=sender)


def transactional_stream(*, workspace, design, sender=None) -> Campaign:
    """The design's transactional stream, created on first use (race-safe)."""
    streams = Campaign.objects.for_workspace(workspace).filter(
        kind=CampaignKind.TRANSACTIONAL, design=design
    )
    stream = streams.first()
    if stream is None:
        now = clock.now()
        try:
            with transaction.atomic(using=workspace.database):
                stream = Campaign.objects.for_workspace(workspace).create(
                    workspace=workspace,
                    kind=CampaignKind.TRANSACTIONAL,
                    name=_("Transactional: %(design)s") % {"design": design.name},
                    design=design,
                    sender=sender,
                    status=CampaignStatus.SENT,
                    started_at=now,
                    audience_complete=True,
                    **_stream_content(design, sender) | {"frozen_at": now},
                )
        except IntegrityError:
            stream = streams.get()
    elif stream.frozen_at is None or design.updated_at > stream.frozen_at:
        # The design changed since the stream last took its content: later sends use it.
        fields = _stream_content(design, stream.sender) | {"frozen_at": clock.now()}
        streams.filter(pk=stream.pk).update(**fields)
        for name, value in fields.items():
            setattr(stream, name, value)
    stream.workspace = workspace
    return stream


def _validate(*, design, to_email: str, data) -> tuple[str, str]:
    import json

    from mailsoftly.contacts.emails import InvalidEmail, email_normalize

    errors: dict[str, str] = {}
    try:
        email, email_key = email_normalize(to_email)
    except InvalidEmail as exc:
        errors["to"] = str(exc)
        email = email_key = ""
    if design is None or design.trashed_at is not None:
        errors["design_id"] = _("No such design.")
    elif not design.subject.strip():
        errors["design_id"] = _("The design has no subject.")
    if data is not None:
        if not isinstance(data, dict):
            errors["data"] = _("Merge data is an object of field names and values.")
        elif len(json.dumps(data, default=str)) > MAX_MERGE_DATA_CHARS:
            errors["data"] = _("Merge data is larger than 64 KB.")
    if errors:
        raise ValidationError(errors)
    return email, email_key


def transactional_send(
    *,
    workspace,
    design,
    to_email: str,
    to_name: str = "",
    data: dict | None = None,
    idempotency_key: str | None = None,
    sender=None,
) -> tuple[Delivery, bool]:
    """Send ``design`` to ``to_email`` once per ``idempotency_key``. Returns (delivery, new).

    Raises ``ValidationError`` (per field) for a bad address, design or merge data, and
    :class:`TransactionalConflict` when the key was used for another address or design.
    A suppressed address gets a ``skipped`` delivery and no message.
    """
    from mailsoftly.billing.services import limit_check
    from mailsoftly.contacts.emails import email_hash
    from mailsoftly.contacts.models import Contact, Suppression

    email, email_key = _validate(design=design, to_email=to_email, data=data)
    if sender is None and not design.from_email:
        raise ValidationError({"design_id": _("The design has no From address.")})
    key = (idempotency_key or "").strip()[:255] or f"auto:{secrets.token_hex(16)}"
    deliveries = Delivery.objects.for_workspace(workspace)
    existing = deliveries.filter(idempotency_key=key).select_related("campaign").first()
    if existing is not None:
        return _replayed(existing, design=design, email_key=email_key), False
    limit_check(workspace=workspace, resource="emails_month", amount=1)
    stream = transactional_stream(workspace=workspace, design=design, sender=sender)
    contact_id = (
        Contact.objects.for_workspace(workspace)
        .filter(email_key=email_key)
        .values_list("pk", flat=True)
        .first()
    )
    suppressed = (
        Suppression.objects.for_workspace(workspace)
        .filter(email_hash=email_hash(email_key))
        .exists()
    )
    merge = {**(data or {})}
    if to_name and "name" not in merge:
        merge["name"] = to_name
    try:
        with transaction.atomic(using=workspace.database):
            delivery = deliveries.create(
                workspace=workspace,
                campaign=stream,
                contact_id=contact_id,
                email=email,
                email_key=email_key,
                idempotency_key=key,
                merge_data=merge,
                status=DeliveryStatus.SKIPPED if suppressed else DeliveryStatus.QUEUED,
                reason="suppressed" if suppressed else "",
            )
            counts = {"total_count": F("total_count") + 1, "updated_at": clock.now()}
            if suppressed:
                counts["skipped_count"] = F("skipped_count") + 1
            Campaign.objects.for_workspace(workspace).filter(pk=stream.pk).update(**counts)
            if not suppressed:
                _enqueue(workspace_id=workspace.pk, delivery_id=delivery.pk, db=workspace.database)
    except IntegrityError:
        # A concurrent call with the same key won the insert.
        existing = deliveries.filter(idempotency_key=key).select_related("campaign").get()
        return _replayed(existing, design=design, email_key=email_key), False
    delivery.campaign = stream
    return delivery, True


def _replayed(delivery: Delivery, *, design, email_key: str) -> Delivery:
    if delivery.email_key != email_key or delivery.campaign.design_id != design.pk:
        raise TransactionalConflict(
            _("This idempotency key was already used for another address or design.")
        )
    return delivery


def _enqueue(*, workspace_id: int, delivery_id: int, db: str) -> None:
    from mailsoftly.campaigns.tasks import transactional_send_task

    transaction.on_commit(
        lambda: transactional_send_task.apply_async(
            kwargs={"workspace_id": workspace_id, "delivery_id": delivery_id},
            queue=QUEUE,
            priority=9,
        ),
        using=db,
    )


_COUNTER = {
    DeliveryStatus.SENT: "sent_count",
    DeliveryStatus.FAILED: "failed_count",
    DeliveryStatus.BOUNCED: "bounced_count",
    DeliveryStatus.SKIPPED: "skipped_count",
}


class TransactionalStore(DeliveryStore):
    """The campaign store narrowed to given deliveries of a stream.

    The stream never pauses or finishes, its counters move by one per outcome (a count
    over all its rows per message would grow without end), and the check before sending
    looks at the suppression list only.
    """

    def __init__(self, *, campaign: Campaign, delivery_ids: list[int]) -> None:
        super().__init__(campaign=campaign)
        self._rows = self._rows.filter(pk__in=delivery_ids)

    @_db_retry
    def next_batch(self, limit: int) -> list[Recipient]:
        from mailsoftly.contacts.emails import email_hash
        from mailsoftly.contacts.models import Suppression

        ids = self.claim(limit)
        if not ids:
            return []
        rows = list(
            self._rows.filter(id__in=ids, claim_token=self.token).values(
                "id", "email", "email_key", "attempts", "merge_data"
            )
        )
        over = [row["id"] for row in rows if row["attempts"] > MAX_ATTEMPTS]
        if over:
            self._finish(over, DeliveryStatus.FAILED, reason="too many attempts")
        rows = [row for row in rows if row["attempts"] <= MAX_ATTEMPTS]
        hashes = {email_hash(row["email_key"]): row["id"] for row in rows}
        suppressed = set(
            Suppression.objects.for_workspace(self.workspace)
            .filter(email_hash__in=list(hashes))
            .values_list("email_hash", flat=True)
        )
        skipped = [hashes[digest] for digest in suppressed]
        if skipped:
            self._finish(skipped, DeliveryStatus.SKIPPED, reason="suppressed")
        recipients = []
        for row in rows:
            if row["id"] in skipped:
                continue
            data = {**(row["merge_data"] or {}), "email": row["email"]}
            recipients.append(
                Recipient(
                    key=row["id"], email=row["email"], name=str(data.get("name", "")), data=data
                )
            )
        return recipients

    def _finish(self, ids: list[int], status: str, **fields) -> int:
        changed = super()._finish(ids, status, **fields)
        counter = _COUNTER.get(status)
        if changed and counter:
            Campaign.objects.for_workspace(self.workspace).filter(pk=self.campaign.pk).update(
                **{counter: F(counter) + changed}
            )
        return changed

    def is_running(self) -> bool:
        return True

    def pause(self, reason: str) -> None:
        """A stream is never paused; its due rows stay queued for the sweep to retry."""

    def update_counts(self) -> None:
        """Counters already moved in :meth:`_finish`."""


class TransactionalComposer(Composer):
    """A stream's messages: merge data as ``contact.*``, no unsubscribe headers or link."""

    def __call__(self, recipient: Recipient) -> Envelope:
        try:
            rendered = self.design.render({"contact": recipient.data})
        except RenderError as exc:
            raise ComposeError(str(exc)) from exc
        html = self.tracker.tag_html(rendered.html, recipient.key)
        text = self.tracker.tag_text(rendered.text, recipient.key)
        return self.skeleton.build(
            key=recipient.key,
            to_name=recipient.name,
            to_email=recipient.email,
            subject=rendered.subject,
            text=text,
            html=html,
            message_id=message_id(
                campaign=self.campaign, delivery_id=recipient.key, domain=self.domain
            ),
            unsubscribe_url="",
            extra_headers=((b"X-Mailsoftly-Delivery", f"{self.region}.{recipient.key}".encode()),),
        )


def transactional_run(*, workspace, delivery_ids: list[int], messenger=None):
    """Send the given queued deliveries of one workspace (grouped by stream)."""
    from mailsoftly.sending import engine
    from mailsoftly.sending.routing import messenger_for

    by_stream: dict[int, list[int]] = defaultdict(list)
    for delivery_id, campaign_id in (
        Delivery.objects.for_workspace(workspace)
        .filter(pk__in=delivery_ids, idempotency_key__isnull=False)
        .values_list("pk", "campaign_id")
    ):
        by_stream[campaign_id].append(delivery_id)
    reports = []
    for campaign_id, ids in by_stream.items():
        stream = (
            Campaign.objects.for_workspace(workspace)
            .select_related("smtp_server")
            .filter(pk=campaign_id, kind=CampaignKind.TRANSACTIONAL)
            .first()
        )
        if stream is None:
            continue
        stream.workspace = workspace
        store = TransactionalStore(campaign=stream, delivery_ids=ids)
        out = messenger or messenger_for(
            workspace=workspace, server=stream.smtp_server, campaign_id=stream.pk
        )
        try:
            reports.append(
                engine.run(
                    store=store,
                    messenger=out,
                    compose=TransactionalComposer(campaign=stream),
                    limits=engine.Limits(batch_size=len(ids), checkpoint=1),
                )
            )
        finally:
            if messenger is None:
                out.close()
    return reports
