"""Writes of the campaigns app: a campaign's life from draft to sent.

draft → scheduled → sending ⇄ paused → sent; cancelled from any unfinished state; failed
when it cannot start. Every transition is a conditional UPDATE on the current status, so
two schedulers or two clicks never start a campaign twice. Sending work is enqueued after
commit; the task itself is idempotent.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.billing.services import limit_check
from mailsoftly.campaigns.models import (
    EDITABLE,
    FINISHED,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
)
from mailsoftly.core import clock

EDIT_FIELDS = (
    "name",
    "design",
    "sender",
    "smtp_server",
    "list_ids",
    "exclude_list_ids",
    "segment_id",
    "exclude_segment_ids",
)


def _ids(values) -> list[int]:
    from mailsoftly.core.ids import parse_id

    out = []
    for value in values or []:
        number = parse_id(value)
        if number is None:
            raise ValidationError(_("Invalid list id."))
        out.append(number)
    return sorted(set(out))


def _check_relations(workspace, fields: dict) -> None:
    for name in ("design", "sender", "smtp_server"):
        value = fields.get(name)
        if value is not None and value.workspace_id != workspace.pk:
            raise ValidationError({name: _("Not found.")})


def campaign_create(*, workspace, name: str, created_by=None, **fields) -> Campaign:
    """A new draft campaign."""
    unknown = set(fields) - set(EDIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown campaign fields {sorted(unknown)}")
    _check_relations(workspace, fields)
    for key in ("list_ids", "exclude_list_ids", "exclude_segment_ids"):
        if key in fields:
            fields[key] = _ids(fields[key])
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")})
    return Campaign.objects.for_workspace(workspace).create(
        workspace=workspace, name=name, created_by=created_by, **fields
    )


def campaign_update(*, campaign: Campaign, **fields) -> Campaign:
    """Change a draft or scheduled campaign."""
    if campaign.status not in EDITABLE:
        raise ValidationError(_("Only a draft or scheduled campaign can be changed."))
    unknown = set(fields) - set(EDIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown campaign fields {sorted(unknown)}")
    _check_relations(campaign.workspace, fields)
    for key in ("list_ids", "exclude_list_ids", "exclude_segment_ids"):
        if key in fields:
            fields[key] = _ids(fields[key])
    for key, value in fields.items():
        setattr(campaign, key, value)
    campaign.save()
    return campaign


def _transition(campaign: Campaign, *, frm, to: str, **extra) -> bool:
    changed = (
        Campaign.objects.for_workspace(campaign.workspace)
        .filter(pk=campaign.pk, status__in=list(frm))
        .update(status=to, updated_at=clock.now(), **extra)
    )
    if changed:
        campaign.refresh_from_db()
        if to == CampaignStatus.SENDING and "started_at" in extra:
            campaign_webhook_emit(campaign=campaign, event="campaign.started")
        elif to == CampaignStatus.PAUSED:
            campaign_webhook_emit(campaign=campaign, event="campaign.paused")
    return bool(changed)


def campaign_webhook_emit(*, campaign: Campaign, event: str) -> None:
    """Tell the workspace's webhook endpoints (after commit, no network I/O here)."""
    from mailsoftly.webhooks.services import webhook_emit

    webhook_emit(
        workspace=campaign.workspace,
        event=event,
        data={"campaign": {"id": campaign.pk, "name": campaign.name, "status": campaign.status}},
    )


def campaign_finished(*, campaign: Campaign, sent: int, bounced: int) -> None:
    """A campaign just became ``sent`` (called inside the store's transaction): tell the
    webhooks, and after commit let screening weigh its bounces and complaints."""
    from mailsoftly.campaigns.models import CampaignKind

    campaign_webhook_emit(campaign=campaign, event="campaign.finished")
    workspace = campaign.workspace
    first = not (
        Campaign.objects.for_workspace(workspace)
        .filter(kind=CampaignKind.REGULAR, status=CampaignStatus.SENT)
        .exclude(pk=campaign.pk)
        .exists()
    )
    campaign_id = campaign.pk

    def note() -> None:
        from mailsoftly.screening.services import risk_note_campaign
        from mailsoftly.sending import bounces
        from mailsoftly.sending.models import BounceRecord

        complaints = (
            BounceRecord.objects.for_workspace(workspace)
            .filter(delivery__campaign_id=campaign_id, kind=bounces.COMPLAINT)
            .count()
        )
        # Bounces counted are those that came back as messages too, not only SMTP 5xx.
        risk_note_campaign(
            workspace=workspace,
            sent=sent + bounced,
            bounced=bounced,
            complaints=complaints,
            first=first,
        )

    transaction.on_commit(note, using=workspace.database)


def _readiness_errors(campaign: Campaign) -> list[str]:
    from mailsoftly.campaigns.audience import audience_count

    errors = []
    if campaign.design is None or campaign.design.trashed_at is not None:
        errors.append(_("Choose a design."))
    elif not campaign.design.subject.strip():
        errors.append(_("The design has no subject."))
    if campaign.sender is None and not (campaign.design and campaign.design.from_email):
        errors.append(_("Choose who the campaign is from."))
    if not campaign.list_ids and campaign.segment_id is None:
        errors.append(_("Choose at least one list or a segment."))
    elif audience_count(campaign=campaign) == 0:
        errors.append(_("The audience is empty."))
    return errors


def campaign_schedule(*, campaign: Campaign, at: datetime) -> Campaign:
    """Send at ``at`` (aware datetime). Fired by the beat task ``campaign_start_due``."""
    if at <= clock.now():
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    errors = _readiness_errors(campaign)
    if errors:
        raise ValidationError(errors)
    if not _transition(campaign, frm=EDITABLE, to=CampaignStatus.SCHEDULED, scheduled_at=at):
        raise ValidationError(_("Only a draft or scheduled campaign can be scheduled."))
    _screen_ahead(campaign)
    return campaign


def _screen_ahead(campaign: Campaign) -> None:
    """Screen a scheduled campaign in the background now, so a hold or block shows up
    before its time comes; the gate before the first message reuses the cached verdict
    (and screens again only if the content changed meanwhile)."""
    from mailsoftly.screening.tasks import campaign_screen_task

    workspace_id, campaign_id = campaign.workspace_id, campaign.pk
    transaction.on_commit(
        lambda: campaign_screen_task.delay(workspace_id=workspace_id, campaign_id=campaign_id),
        using=campaign.workspace.database,
    )


def campaign_unschedule(*, campaign: Campaign) -> Campaign:
    _transition(
        campaign, frm=[CampaignStatus.SCHEDULED], to=CampaignStatus.DRAFT, scheduled_at=None
    )
    return campaign


def _freeze_content(campaign: Campaign) -> dict:
    return design_content(design=campaign.design, sender=campaign.sender) | {
        "frozen_at": clock.now()
    }


def design_content(*, design, sender=None) -> dict:
    """What a campaign freezes from its design and sender: subject, bodies, From."""
    html, text = design.compiled_html, design.compiled_text
    if not html:
        from mailsoftly.designs.compiler import source_compile

        compiled = source_compile(
            source_kind=design.source_kind, source=design.source, preheader=design.preheader
        )
        html, text = compiled.html, compiled.text
    return {
        "content_subject": design.subject,
        "content_html": html,
        "content_text": text,
        "from_name": sender.from_name if sender else design.from_name,
        "from_email": sender.from_email if sender else design.from_email,
        "reply_to": (sender.reply_to if sender else design.reply_to) or "",
    }


def _enqueue_send(campaign: Campaign) -> None:
    from mailsoftly.campaigns.tasks import campaign_senders_enqueue, parallel_tasks

    workspace_id, campaign_id = campaign.workspace_id, campaign.pk
    # A frozen audience (a resume) gets all its senders at once; a new campaign gets one,
    # which freezes the audience and then enqueues the others.
    count = parallel_tasks() if campaign.audience_complete else 1
    transaction.on_commit(
        lambda: campaign_senders_enqueue(
            workspace_id=workspace_id, campaign_id=campaign_id, count=count
        ),
        using=campaign.workspace.database,
    )


def campaign_send(
    *, campaign: Campaign, scheduled_only: bool = False, enqueue: bool = True
) -> Campaign:
    """Start sending now: freeze the content and hand the campaign to the workers.

    ``scheduled_only`` is the beat path: it starts only a campaign still scheduled.
    ``enqueue=False`` leaves the sending to the caller (the demo seed, benchmarks).

    The plan's monthly email allowance is checked here, once, for the whole audience:
    over it, a manual send raises :class:`~mailsoftly.billing.errors.LimitExceeded` and a
    scheduled one fails with the message as its reason; nothing starts. A campaign that
    is already sending (or resumed) is not checked again, so a downgrade never cuts it off.
    """
    from mailsoftly.campaigns.audience import audience_count

    errors = _readiness_errors(campaign)
    frm = [CampaignStatus.SCHEDULED] if scheduled_only else list(EDITABLE)
    with transaction.atomic(using=campaign.workspace.database):
        if errors:
            if scheduled_only:
                _transition(
                    campaign, frm=frm, to=CampaignStatus.FAILED, status_reason=" ".join(errors)
                )
                return campaign
            raise ValidationError(errors)
        try:
            limit_check(
                workspace=campaign.workspace,
                resource="emails_month",
                amount=audience_count(campaign=campaign),
            )
        except LimitExceeded as exc:
            if scheduled_only:
                _transition(campaign, frm=frm, to=CampaignStatus.FAILED, status_reason=exc.message)
                return campaign
            raise
        started = _transition(
            campaign,
            frm=frm,
            to=CampaignStatus.SENDING,
            started_at=clock.now(),
            status_reason="",
            **_freeze_content(campaign),
        )
        if not started:
            raise ValidationError(_("This campaign has already been started."))
        if enqueue:
            _enqueue_send(campaign)
    return campaign


def campaign_pause(*, campaign: Campaign, reason: str = "") -> Campaign:
    """Stop sending after the messages already handed to the SMTP pool."""
    if not _transition(
        campaign,
        frm=[CampaignStatus.SENDING],
        to=CampaignStatus.PAUSED,
        status_reason=reason or _("Paused by a team member."),
    ):
        raise ValidationError(_("Only a sending campaign can be paused."))
    return campaign


def campaign_resume(*, campaign: Campaign) -> Campaign:
    with transaction.atomic(using=campaign.workspace.database):
        if not _transition(
            campaign, frm=[CampaignStatus.PAUSED], to=CampaignStatus.SENDING, status_reason=""
        ):
            raise ValidationError(_("Only a paused campaign can be resumed."))
        # Rows held back by a retry delay go out now that a person said so.
        Delivery.objects.for_workspace(campaign.workspace).filter(
            campaign=campaign, status=DeliveryStatus.QUEUED
        ).update(not_before=None)
        _enqueue_send(campaign)
    return campaign


def campaign_cancel(*, campaign: Campaign) -> Campaign:
    """Cancel: nothing more goes out. Unsent rows are skipped so the counts add up."""
    with transaction.atomic(using=campaign.workspace.database):
        if not _transition(
            campaign,
            frm=[s for s in CampaignStatus.values if s not in FINISHED],
            to=CampaignStatus.CANCELLED,
            finished_at=clock.now(),
        ):
            raise ValidationError(_("This campaign has already finished."))
        Delivery.objects.for_workspace(campaign.workspace).filter(
            campaign=campaign, status=DeliveryStatus.QUEUED
        ).update(status=DeliveryStatus.SKIPPED, reason="campaign cancelled")
    from mailsoftly.campaigns.store import DeliveryStore

    DeliveryStore(campaign=campaign).update_counts()
    return campaign


def campaign_trash(*, campaign: Campaign, by_user_id: int | None = None) -> None:
    if campaign.status in (CampaignStatus.SENDING, CampaignStatus.PAUSED):
        campaign_cancel(campaign=campaign)
    Campaign.objects.for_workspace(campaign.workspace).filter(pk=campaign.pk).move_to_trash(
        by_user_id=by_user_id
    )


def campaign_start_due(*, workspace_ids: list[int] | None = None) -> int:
    """Start every scheduled campaign whose time has come, in every region (beat)."""
    from mailsoftly.core.regions import REGION_DATABASES
    from mailsoftly.teams.models import Workspace

    started = 0
    now = clock.now()
    for region in REGION_DATABASES:
        due = Campaign.objects.dangerously_all_workspaces(region).filter(
            status=CampaignStatus.SCHEDULED, scheduled_at__lte=now
        )
        if workspace_ids is not None:
            due = due.filter(workspace_id__in=workspace_ids)
        for campaign in due.select_related(None):
            campaign.workspace = Workspace.objects.get(pk=campaign.workspace_id)
            try:
                campaign_send(campaign=campaign, scheduled_only=True)
                started += 1
            except ValidationError:
                continue  # another scheduler started it first
    return started


def delivery_unsubscribe(*, workspace, delivery_id: int) -> bool:
    """RFC 8058 one-click: the delivery's contact hears nothing more from the workspace."""
    from mailsoftly.contacts.models import Contact
    from mailsoftly.contacts.services import contact_unsubscribe_all

    delivery = Delivery.objects.for_workspace(workspace).filter(pk=delivery_id).first()
    if delivery is None or delivery.contact_id is None:
        return False
    contact = Contact.objects.for_workspace(workspace).filter(pk=delivery.contact_id).first()
    if contact is None:
        return False
    contact.workspace = workspace
    contact_unsubscribe_all(contact=contact)
    return True


def delivery_bounce(*, delivery: Delivery, reason: str, smtp_code: int | None = None) -> bool:
    """A bounce came back for a message we sent: the delivery becomes bounced and the
    campaign's counts move with it (sent → bounced). Only the first call changes anything."""
    workspace = delivery.workspace
    now = clock.now()
    with transaction.atomic(using=workspace.database):
        was = (
            Delivery.objects.for_workspace(workspace)
            .filter(pk=delivery.pk)
            .exclude(status=DeliveryStatus.BOUNCED)
            .values_list("status", flat=True)
            .first()
        )
        if was is None:
            return False
        changed = (
            Delivery.objects.for_workspace(workspace)
            .filter(pk=delivery.pk, status=was)
            .update(
                status=DeliveryStatus.BOUNCED,
                reason=reason[:500],
                smtp_code=smtp_code if smtp_code and 0 < smtp_code < 1000 else None,
                updated_at=now,
            )
        )
        if not changed:
            return False
        counts = {"bounced_count": F("bounced_count") + 1, "updated_at": now}
        if was == DeliveryStatus.SENT:
            counts["sent_count"] = Greatest(F("sent_count") - 1, 0)
        elif was == DeliveryStatus.FAILED:
            counts["failed_count"] = Greatest(F("failed_count") - 1, 0)
        Campaign.objects.for_workspace(workspace).filter(pk=delivery.campaign_id).update(**counts)
    delivery.status = DeliveryStatus.BOUNCED
    return True
