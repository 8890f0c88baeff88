"""Test sends: a design to the author or a few addresses, through the real outbound path.

The same messenger a campaign would use (the workspace's SMTP server, else ``SMTP_URL``,
else the regional capture), the same MIME builder and DKIM keys. The subject is marked
[TEST] and merge tags are filled with sample data or a chosen contact's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from mailsoftly.core import clock
from mailsoftly.designs.models import Design
from mailsoftly.designs.rendering import design_render, sample_context

MAX_RECIPIENTS = 5


class TestSendError(ValueError):
    pass


@dataclass(frozen=True)
class TestSendReport:
    sent: list[str]
    failed: list[tuple[str, str]]


def test_recipients_parse(raw: str, *, default: str = "") -> list[str]:
    """Up to five valid addresses from a comma/space/newline list (or ``default``)."""
    candidates = [part for part in re.split(r"[\s,;]+", raw or "") if part]
    if not candidates:
        if not default:
            raise TestSendError(_("Enter at least one address."))
        candidates = [default]
    if len(candidates) > MAX_RECIPIENTS:
        raise TestSendError(_("A test goes to at most %(n)s addresses.") % {"n": MAX_RECIPIENTS})
    addresses = []
    for candidate in candidates:
        try:
            checked = validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            raise TestSendError(
                _("“%(address)s” is not a valid email address.") % {"address": candidate[:100]}
            ) from None
        if checked.normalized not in addresses:
            addresses.append(checked.normalized)
    return addresses


def design_test_send(
    *, design: Design, recipients: list[str], contact_context: dict | None = None
) -> TestSendReport:
    """Send ``design`` to ``recipients`` now. Runs outside any transaction (SMTP I/O)."""
    from mailsoftly.sending.mime import Skeleton
    from mailsoftly.sending.models import DkimKey
    from mailsoftly.sending.routing import messenger_for

    if not design.from_email:
        raise TestSendError(_("Set a from address on the design first."))
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise TestSendError(_("A test goes to 1 to %(n)s addresses.") % {"n": MAX_RECIPIENTS})
    email = design_render(design=design, contact_context=contact_context or sample_context())
    workspace = design.workspace
    domain = design.from_email.rpartition("@")[2].lower()
    signers = tuple(
        key.signer() for key in DkimKey.objects.for_workspace(workspace).filter(domain=domain)
    )
    skeleton = Skeleton(
        from_name=design.from_name,
        from_email=design.from_email,
        reply_to=design.reply_to,
        list_id=f"Test <test.{workspace.pk}.mailsoftly>",
        feedback_id=f"test:{workspace.pk}:mailsoftly",
        signers=signers,
    )
    stamp = f"{clock.now():%Y%m%d%H%M%S%f}"
    messenger = messenger_for(workspace=workspace)
    try:
        for index, address in enumerate(recipients):
            messenger.push(
                skeleton.build(
                    key=index,
                    to_name="",
                    to_email=address,
                    subject=_("[TEST] %(subject)s") % {"subject": email.subject},
                    text=email.text,
                    html=email.html,
                    message_id=f"<test.{design.pk}.{stamp}.{index}@{skeleton.domain}>",
                    unsubscribe_url="https://example.invalid/test-unsubscribe",
                )
            )
        results = messenger.flush()
    finally:
        messenger.close()
    sent, failed = [], []
    by_key = {result.key: result for result in results}
    for index, address in enumerate(recipients):
        result = by_key.get(index)
        if result is not None and result.outcome == "sent":
            sent.append(address)
        else:
            detail = f"{result.code or ''} {result.detail}".strip() if result else ""
            failed.append((address, detail or _("not accepted")))
    return TestSendReport(sent=sent, failed=failed)
