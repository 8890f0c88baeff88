"""Writes for operating the service: support access, policy versions and acceptance,
platform newsletters. Usage logging lives in :mod:`mailsoftly.ops.usage`."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.accounts.models import PolicyAcceptance
from mailsoftly.audit.services import _client_ip, audit_record
from mailsoftly.core import clock
from mailsoftly.ops.models import PolicyVersion, SupportAccess
from mailsoftly.ops.selectors import policy_cache_clear

REASON_MAX = 200


# --- Support console (P14) -------------------------------------------------------------


def support_access_record(
    *, request, subject, reason: str, action: str, workspace=None
) -> SupportAccess:
    """Record that staff looked at or acted on ``subject``'s account, with the reason.

    Written for every view and action; also appended to the audit log. Refuses an empty
    reason: staff get no access without one.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Enter the reason (ticket reference) first."))
    with transaction.atomic():
        row = SupportAccess.objects.create(
            at=clock.now(),
            staff=request.user,
            subject=subject,
            workspace_id=getattr(workspace, "pk", None),
            reason=reason[:REASON_MAX],
            action=action[:64],
            ip_address=_client_ip(request),
        )
        audit_record(
            request=request,
            actor=request.user,
            workspace=workspace,
            action=f"support.{action}"[:64],
            target=subject,
            after={"reason": row.reason},
        )
    return row


# --- Policy versions (P32, P41) --------------------------------------------------------


def policy_version_publish(
    *,
    kind: str,
    version: str,
    body: str,
    effective_at: datetime,
    material: bool,
    by=None,
) -> PolicyVersion:
    """Publish a policy or terms version. A material change queues a notice to every account.

    Refused: an effective date in the past, a version label already used, or a second
    version of the same document while one is still waiting to take effect.
    """
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if effective_at < now:
        errors.setdefault("effective_at", []).append(
            _("The effective date is in the past. Choose today or a later date.")
        )
    with transaction.atomic():
        if PolicyVersion.objects.filter(kind=kind, version=version).exists():
            errors.setdefault("version", []).append(_("This version has already been published."))
        pending = (
            PolicyVersion.objects.select_for_update()
            .filter(kind=kind, effective_at__gt=now)
            .first()
        )
        if pending is not None:
            errors.setdefault("__all__", []).append(
                _(
                    "Version %(version)s is already waiting to take effect. Only one "
                    "version can be pending at a time."
                )
                % {"version": pending.version}
            )
        if errors:
            raise ValidationError(errors)
        pv = PolicyVersion.objects.create(
            kind=kind,
            version=version,
            body=body,
            effective_at=effective_at,
            material=material,
            published_at=now,
            published_by=by,
        )
        audit_record(actor=by, action="policy.publish", target=pv, after={"material": material})
        # The banner's look-up is cached (selectors.policy_material_latest): a new material
        # version must show on the very next page.
        transaction.on_commit(policy_cache_clear)
        if material:
            from mailsoftly.ops.tasks import policy_notice_send_task

            transaction.on_commit(lambda: policy_notice_send_task.delay(pv.pk))
    return pv


def policy_notice_send(*, version_id: int) -> int:
    """Send the material-change notice to every active account once. Returns mails queued."""
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation
    from django.utils.http import urlencode

    from mailsoftly.core.mail import platform_mail_enqueue

    with transaction.atomic():
        pv = PolicyVersion.objects.select_for_update().get(pk=version_id)
        if pv.notices_sent_at is not None:
            return 0  # idempotent: a retried task sends nothing twice
        PolicyVersion.objects.filter(pk=pv.pk).update(notices_sent_at=clock.now())
    url = (
        settings.BASE_URL.rstrip("/")
        + reverse("ops:policy", args=[pv.kind])
        + "?"
        + urlencode({"version": pv.version})
    )
    sent = 0
    users = get_user_model().objects.filter(is_active=True).exclude(email="").iterator()
    for user in users:
        with translation.override(user.language):
            context = {"user": user, "version": pv, "url": url}
            # The document's name as displayed (no lower()): German capitalises nouns.
            subject = _("We are changing our %(document)s") % {"document": pv.get_kind_display()}
            text = render_to_string("ops/email/policy_notice.txt", context)
        platform_mail_enqueue(to=[user.email], subject=subject, text=text)
        sent += 1
    return sent


def policy_accept(
    *, user, version: PolicyVersion, ip_address: str | None, source: str
) -> PolicyAcceptance:
    """Record that ``user`` accepted ``version`` (by acknowledging, or by continued use)."""
    existing = PolicyAcceptance.objects.filter(
        user=user, policy_version=version.acceptance_label, revoked_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    return PolicyAcceptance.objects.create(
        user=user,
        policy_version=version.acceptance_label,
        accepted_at=clock.now(),
        ip_address=ip_address,
        source=source[:32],
    )
