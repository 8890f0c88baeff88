"""Screening content and campaigns, and the gate the sending engine asks before sending."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mailsoftly.core import clock
from mailsoftly.screening.content import Content, screen_content
from mailsoftly.screening.content.verdict import Reason
from mailsoftly.screening.models import (
    AccountRisk,
    BlockedDomain,
    Decision,
    Review,
    RiskLevel,
    ScreeningResult,
)

log = logging.getLogger(__name__)

# Bump when rules change in a way that should re-screen cached content.
ENGINE_VERSION = "3"
MAX_STORED_HTML = 2_000_000


def verified_domain_list(*, workspace) -> list[str]:
    """Domains the workspace has proven it controls: DKIM keys and verified domains."""
    domains: set[str] = set()
    try:
        from mailsoftly.sending.models import DkimKey

        domains.update(DkimKey.objects.for_workspace(workspace).values_list("domain", flat=True))
    except (ImportError, LookupError):
        pass
    try:
        from mailsoftly.teams.models import OrganisationDomain

        domains.update(
            OrganisationDomain.objects.filter(
                workspace=workspace, verified_at__isnull=False
            ).values_list("domain", flat=True)
        )
    except (ImportError, LookupError):
        pass
    return sorted(d.lower().strip(".") for d in domains if d)


def blocked_domain_list() -> list[str]:
    return list(BlockedDomain.objects.values_list("domain", flat=True))


def content_hash(*, content: Content) -> str:
    """Everything the verdict depends on, hashed: same hash, same verdict."""
    payload = json.dumps(
        {
            "v": ENGINE_VERSION,
            "subject": content.subject,
            "from": content.from_address.lower(),
            "html": content.html,
            "text": content.text,
            "attachments": list(content.attachments),
            "verified": sorted(content.verified_domains),
            "blocklist": sorted(content.blocklist),
            "campaign": content.campaign,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


# Holds that say "a check could not run", not "this content is suspect": such a stored
# verdict is screened again on its next request while it still waits for review.
TRANSIENT_CODES = frozenset({"spamassassin_unavailable", "timeout"})

# What the user reads on a campaign the gate held; the retry task recognises a campaign
# screening paused by it.
HOLD_MESSAGE = gettext_noop("This email is waiting for a review by our team.")
RISK_HOLD_MESSAGE = gettext_noop("New and high-risk accounts are reviewed before sending.")


def _extra_reasons(content: Content) -> list[Reason]:
    if not getattr(settings, "SCREENING_SPAMASSASSIN", True):
        return []
    from mailsoftly.screening import spamassassin

    return spamassassin.spamassassin_reasons(
        subject=content.subject,
        from_address=content.from_address,
        html=content.html,
        text=content.text,
        spamd_url=getattr(settings, "SCREENING_SPAMD_URL", None),
        timeout=float(getattr(settings, "SCREENING_SPAMD_TIMEOUT", spamassassin.TIMEOUT_SECONDS)),
    )


def _transient(result: ScreeningResult) -> bool:
    return result.review == Review.PENDING and any(
        reason.get("code") in TRANSIENT_CODES for reason in (result.reasons or [])
    )


def retry_delay(attempt: int) -> timedelta:
    """How long a hold because a check could not run waits before screening attempt
    ``attempt + 1``: doubling from ``SCREENING_RETRY_BASE`` up to ``SCREENING_RETRY_MAX``
    seconds, so a spamd that is down for hours is not asked every minute."""
    base = float(getattr(settings, "SCREENING_RETRY_BASE", 60))
    cap = float(getattr(settings, "SCREENING_RETRY_MAX", 3600))
    return timedelta(seconds=min(base * 2 ** min(attempt, 32), cap))


def _retry_fields(verdict, attempt: int) -> dict:
    """When to screen again: only a hold some check could not finish is retried."""
    transient = verdict.decision == Decision.HOLD and any(
        r.code in TRANSIENT_CODES for r in verdict.reasons
    )
    if not transient:
        return {"retry_at": None}
    return {"retry_at": clock.now() + retry_delay(attempt), "retry_count": attempt}


def content_screen(
    *,
    workspace,
    subject: str,
    from_address: str,
    html: str,
    text: str,
    attachments: tuple[str, ...] | list[str] = (),
    kind: str = "content",
    campaign_id: int | None = None,
) -> ScreeningResult:
    """Screen one email's content for ``workspace`` and store the verdict (policy P16).

    Cached by content hash: the same content (with the same verified domains and
    blocklist) is screened once and the stored row is returned after that. A held verdict
    enters the operator queue (``review="pending"``). A hold only because a check could not
    run (SpamAssassin down, a timeout) is screened again on the next request, and by the
    ``screening.retry_due`` beat task with backoff (:mod:`.retry`), and the row updated,
    until an operator has decided it.
    """
    content = Content(
        subject=subject or "",
        from_address=from_address or "",
        verified_domains=tuple(verified_domain_list(workspace=workspace)),
        html=html or "",
        text=text or "",
        attachments=tuple(attachments),
        blocklist=tuple(blocked_domain_list()),
        campaign=True,
    )
    digest = content_hash(content=content)
    rows = ScreeningResult.objects.for_workspace(workspace)
    existing = rows.filter(content_hash=digest).first()
    if existing is not None and _transient(existing):
        return _rescreen(rows, existing, content, campaign_id)
    if existing is not None:
        if campaign_id is not None and existing.campaign_id != campaign_id:
            rows.filter(pk=existing.pk).update(campaign_id=campaign_id)
            existing.campaign_id = campaign_id
        return existing
    verdict = screen_content(content, extra_reasons=_extra_reasons(content))
    try:
        with transaction.atomic(using=workspace.database):
            return rows.create(
                workspace=workspace,
                content_hash=digest,
                engine_version=ENGINE_VERSION,
                kind=kind,
                campaign_id=campaign_id,
                decision=str(verdict.decision),
                score=verdict.score,
                reasons=[r.to_dict() for r in verdict.reasons],
                subject=content.subject[:2000],
                from_address=content.from_address[:320],
                html=content.html[:MAX_STORED_HTML],
                text=content.text[:MAX_STORED_HTML],
                review=Review.PENDING if verdict.decision == Decision.HOLD else Review.NONE,
                **_retry_fields(verdict, 0),
            )
    except IntegrityError:
        # Two workers screened the same content at once: the first row stands.
        return rows.get(content_hash=digest)


def _rescreen(rows, existing: ScreeningResult, content: Content, campaign_id) -> ScreeningResult:
    verdict = screen_content(content, extra_reasons=_extra_reasons(content))
    fields = {
        "decision": str(verdict.decision),
        "score": verdict.score,
        "reasons": [r.to_dict() for r in verdict.reasons],
        "review": Review.PENDING if verdict.decision == Decision.HOLD else Review.NONE,
        **_retry_fields(verdict, existing.retry_count + 1),
    }
    if campaign_id is not None:
        fields["campaign_id"] = campaign_id
    # Only while it still waits: an operator's decision made meanwhile stands.
    rows.filter(pk=existing.pk, review=Review.PENDING).update(**fields)
    existing.refresh_from_db()
    return existing


def _campaign_content(campaign) -> dict:
    """The campaign's content as recipients would see it (frozen, or from its design)."""
    if campaign.frozen_at:
        subject, html, text = campaign.content_subject, campaign.content_html, campaign.content_text
        from_address = campaign.from_email
    else:
        design = campaign.design
        if design is None:
            return {"subject": "", "from_address": campaign.from_email, "html": "", "text": ""}
        html, text = design.compiled_html, design.compiled_text
        if not html:
            from mailsoftly.designs.compiler import source_compile

            compiled = source_compile(
                source_kind=design.source_kind, source=design.source, preheader=design.preheader
            )
            html, text = compiled.html, compiled.text
        subject = design.subject
        sender = campaign.sender
        from_address = sender.from_email if sender else design.from_email
    try:
        # Render merge tags with made-up data so links read as real URLs.
        from mailsoftly.designs.rendering import CompiledDesign, sample_context

        rendered = CompiledDesign(subject=subject, html=html, text=text).render(sample_context())
        subject, html, text = rendered.subject, rendered.html, rendered.text
    except Exception:  # a template the renderer refuses is screened as written
        log.info("screening: campaign %s screened unrendered", campaign.pk)
    return {"subject": subject, "from_address": from_address, "html": html, "text": text}


def campaign_screen(*, workspace, campaign_id: int, kind: str = "campaign") -> ScreeningResult:
    """Screen a campaign's current content and store the verdict (cached by hash)."""
    from mailsoftly.campaigns.models import Campaign

    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign_id)
    campaign.workspace = workspace
    return content_screen(
        workspace=workspace, kind=kind, campaign_id=campaign.pk, **_campaign_content(campaign)
    )


@dataclass(frozen=True)
class Gate:
    """The answer to "may this campaign send now?"."""

    allowed: bool
    decision: str  # pass | hold | block
    result_id: int | None = None
    reasons: list[dict] = field(default_factory=list)
    message: str = ""


def screening_gate(*, workspace, campaign_id: int, kind: str = "campaign") -> Gate:
    """Call before a campaign's first message. Never raises for content.

    * ``allowed=True``: send.
    * ``decision="hold"``: do not send; the content waits in the operator queue. When an
      operator approves it, :func:`~mailsoftly.screening.services.review.screening_approve`
      resumes a campaign paused for review.
    * ``decision="block"``: do not send; show ``reasons`` so the user can edit and resubmit.

    Screens synchronously if the background task has not yet done so (cached by hash).
    A high-risk account is held for review even when its content passes; a suspended
    account is blocked.
    """
    return _gate(
        workspace,
        lambda: campaign_screen(workspace=workspace, campaign_id=campaign_id, kind=kind),
    )


def test_send_gate(
    *,
    workspace,
    subject: str,
    from_address: str,
    html: str,
    text: str,
    attachments: tuple[str, ...] | list[str] = (),
) -> Gate:
    """The screening gate for a design's test send, which has no campaign row (P16).

    Call from the designs test-send service before any message is built, with the email
    as the test recipients would get it (subject, From address, rendered HTML and text;
    ``attachments`` lists attachment file names, which campaigns may not carry).

    The content is screened synchronously, or the cached verdict reused when the same
    content was screened before, and the answer is a :class:`Gate`:

    * ``allowed=True``: send the test;
    * ``decision="hold"``: do not send; the content waits in the operator review queue
      (``kind="test"``), and ``message`` says so;
    * ``decision="block"``: do not send; show ``message`` and ``reasons`` (each with a
      ``message``) so the user can fix the design and try again.

    A suspended account is blocked and a high-risk account held, as for campaigns.
    Never raises for content: content that cannot be screened is held.
    """
    return _gate(
        workspace,
        lambda: content_screen(
            workspace=workspace,
            subject=subject,
            from_address=from_address,
            html=html,
            text=text,
            attachments=attachments,
            kind="test",
        ),
    )


# Its name starts with "test_": tell pytest it is not a test when a test module imports it.
test_send_gate.__test__ = False  # type: ignore[attr-defined]


def _gate(workspace, screen) -> Gate:
    risk = AccountRisk.objects.filter(workspace_id=workspace.pk).first()
    if risk is not None and risk.suspended_at is not None:
        return Gate(
            allowed=False,
            decision=Decision.BLOCK,
            message=_("This account is suspended from sending. Contact support."),
        )
    result = screen()
    effective = result.effective_decision
    if (
        effective == Decision.PASS
        and risk is not None
        and risk.level == RiskLevel.HIGH
        and result.review != Review.APPROVED
    ):
        ScreeningResult.objects.for_workspace(workspace).filter(
            pk=result.pk, review=Review.NONE
        ).update(review=Review.PENDING)
        return Gate(
            allowed=False,
            decision=Decision.HOLD,
            result_id=result.pk,
            reasons=result.reasons,
            message=_(RISK_HOLD_MESSAGE),
        )
    messages = {
        Decision.PASS: "",
        Decision.HOLD: _(HOLD_MESSAGE),
        Decision.BLOCK: _("This email was blocked. Fix the reasons shown and resubmit."),
    }
    return Gate(
        allowed=effective == Decision.PASS,
        decision=str(effective),
        result_id=result.pk,
        reasons=result.reasons,
        message=messages[Decision(effective)],
    )
