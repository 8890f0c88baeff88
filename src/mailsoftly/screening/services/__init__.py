"""Screening writes. The sending engine calls :func:`screening_gate` before sending."""

from mailsoftly.screening.services.retry import screening_retry, screening_retry_due
from mailsoftly.screening.services.review import screening_approve, screening_block
from mailsoftly.screening.services.risk import (
    account_risk_assess,
    account_suspend,
    risk_note_campaign,
    risk_note_import,
    signup_record,
)
from mailsoftly.screening.services.screen import (
    Gate,
    campaign_screen,
    content_screen,
    screening_gate,
    test_send_gate,
)

__all__ = [
    "Gate",
    "account_risk_assess",
    "account_suspend",
    "campaign_screen",
    "content_screen",
    "risk_note_campaign",
    "risk_note_import",
    "screening_approve",
    "screening_block",
    "screening_gate",
    "screening_retry",
    "screening_retry_due",
    "signup_record",
    "test_send_gate",
]
