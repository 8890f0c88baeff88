"""The four calls other apps make into screening (policy P16).

``signup_record`` (accounts), ``risk_note_import`` (contacts), ``risk_note_campaign``
(campaigns/tracking) and ``test_send_gate`` (designs): what each records and answers,
and how each treats bad input.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from mailsoftly.screening import services
from mailsoftly.screening.models import (
    AccountRisk,
    Review,
    RiskLevel,
    ScreeningResult,
    SignupRecord,
)
from mailsoftly.screening.services import risk as risk_module
from tests.factories import UserFactory

pytestmark = [pytest.mark.policy("P16"), pytest.mark.django_db]

FOOTER = "<p>Unsubscribe: {{ unsubscribe_url }}</p>"


@pytest.fixture(autouse=True)
def _no_spamassassin(settings):
    settings.SCREENING_SPAMASSASSIN = False


# ------------------------------------------------------------------ signup_record


def test_a_sign_up_without_a_workspace_is_recorded_and_returns_none():
    user = UserFactory(email="ann@example.org")
    assert services.signup_record(user=user, ip="192.0.2.10") is None
    record = SignupRecord.objects.get(user_id=user.pk)
    assert (record.ip, record.ip_prefix, record.email_domain) == (
        "192.0.2.10",
        "192.0.2.0/24",
        "example.org",
    )
    assert record.disposable is False


def test_an_ordinary_sign_up_leaves_the_risk_low(workspace):
    risk = services.signup_record(
        user=UserFactory(email="ann@example.org"), ip="192.0.2.10", workspace=workspace
    )
    assert risk.level == RiskLevel.LOW and risk.signals == {}


def test_a_retried_sign_up_is_recorded_once(workspace):
    user = UserFactory(email="ann@example.org")
    for _ in range(5):
        services.signup_record(user=user, ip="192.0.2.10", workspace=workspace)
    assert SignupRecord.objects.filter(user_id=user.pk).count() == 1
    risk = AccountRisk.objects.get(workspace=workspace)
    assert "signup_ip_velocity" not in risk.signals


@pytest.mark.parametrize("ip", [None, "", "not an ip", "999.1.1.1"])
def test_an_unreadable_client_address_is_stored_as_none_and_counts_for_nothing(ip, workspace):
    for _ in range(risk_module.SIGNUPS_PER_IP + 2):
        services.signup_record(user=UserFactory(), ip=ip)
    risk = services.signup_record(user=UserFactory(), ip=ip, workspace=workspace)
    assert SignupRecord.objects.filter(ip__isnull=False).count() == 0
    assert not {"signup_ip_velocity", "signup_prefix_velocity"} & set(risk.signals)


def test_ipv6_sign_ups_are_grouped_by_their_48(workspace):
    for i in range(risk_module.SIGNUPS_PER_PREFIX + 1):
        services.signup_record(user=UserFactory(), ip=f"2001:db8:1:{i:x}::1")
    risk = services.signup_record(user=UserFactory(), ip="2001:db8:1:ff::9", workspace=workspace)
    assert risk.signals["signup_prefix_velocity"] == "2001:db8:1::/48"
    assert "signup_ip_velocity" not in risk.signals


def test_disposable_sign_up_and_ip_velocity_together_make_the_account_high_risk(workspace):
    for _ in range(risk_module.SIGNUPS_PER_IP):
        services.signup_record(user=UserFactory(), ip="198.51.100.20")
    risk = services.signup_record(
        user=UserFactory(email="x@mailinator.com"), ip="198.51.100.20", workspace=workspace
    )
    assert {"disposable_email", "signup_ip_velocity"} <= set(risk.signals)
    assert risk.level == RiskLevel.HIGH


# ------------------------------------------------------------------ risk_note_import


def test_a_new_account_importing_a_huge_list_raises_its_risk(workspace):
    risk = services.risk_note_import(workspace=workspace, rows=risk_module.LARGE_FIRST_IMPORT)
    assert risk.signals["large_first_import"] == str(risk_module.LARGE_FIRST_IMPORT)
    assert risk.level == RiskLevel.ELEVATED


def test_a_small_import_or_an_established_account_raises_nothing(workspace):
    risk = services.risk_note_import(workspace=workspace, rows=500)
    assert risk.signals == {} and risk.level == RiskLevel.LOW
    with time_machine.travel(risk_module.NEW_ACCOUNT_AGE + timedelta(days=1)):
        risk = services.risk_note_import(workspace=workspace, rows=1_000_000)
    assert "large_first_import" not in risk.signals


@pytest.mark.parametrize("rows", [-1, 2.5, "100", True])
def test_an_import_count_that_is_not_a_count_is_refused(workspace, rows):
    with pytest.raises(ValueError, match="rows must be a whole number"):
        services.risk_note_import(workspace=workspace, rows=rows)
    assert not AccountRisk.objects.filter(workspace=workspace).exclude(signals={}).exists()


# ------------------------------------------------------------------ risk_note_campaign


def test_a_first_campaign_that_bounces_raises_the_risk(workspace):
    risk = services.risk_note_campaign(workspace=workspace, sent=100, bounced=8, first=True)
    assert risk.signals["first_campaign_bounces"] == "8/100"
    assert risk.level == RiskLevel.ELEVATED


def test_bounces_of_a_later_campaign_or_a_low_rate_do_not(workspace):
    risk = services.risk_note_campaign(workspace=workspace, sent=100, bounced=30)
    assert "first_campaign_bounces" not in risk.signals
    risk = services.risk_note_campaign(workspace=workspace, sent=100, bounced=7, first=True)
    assert "first_campaign_bounces" not in risk.signals


def test_repeating_a_campaign_note_changes_nothing(workspace):
    for _ in range(3):
        risk = services.risk_note_campaign(workspace=workspace, sent=1000, bounced=0, complaints=3)
    assert risk.signals == {"complaints": "3/1000"}
    assert risk.score == risk_module.WEIGHTS["complaints"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"sent": -1, "bounced": 0}, "sent must be"),
        ({"sent": 10, "bounced": 11}, "cannot outnumber"),
        ({"sent": 10, "bounced": 0, "complaints": 11}, "cannot outnumber"),
        ({"sent": 10, "bounced": None}, "bounced must be"),
    ],
)
def test_campaign_figures_that_cannot_be_true_are_refused(workspace, kwargs, words):
    with pytest.raises(ValueError, match=words):
        services.risk_note_campaign(workspace=workspace, **kwargs)


# ------------------------------------------------------------------ test_send_gate


def gate(workspace, html, **kw):
    kw.setdefault("subject", "Spring news")
    kw.setdefault("from_address", "news@shop.example")
    kw.setdefault("text", "Our spring plants are in. Unsubscribe: {{ unsubscribe_url }}")
    return services.test_send_gate(workspace=workspace, html=html, **kw)


def test_a_clean_test_send_is_allowed(workspace):
    result = gate(workspace, f"<p>Our spring plants are in. Come and see them.</p>{FOOTER}")
    assert result.allowed and result.decision == "pass" and result.message == ""


def test_a_suspicious_test_send_is_held_for_review(workspace):
    result = gate(workspace, f'<p>See <a href="http://192.0.2.1/x">our offer</a></p>{FOOTER}')
    assert not result.allowed and result.decision == "hold"
    assert "review" in result.message
    stored = ScreeningResult.objects.for_workspace(workspace).get(pk=result.result_id)
    assert stored.kind == "test" and stored.review == Review.PENDING


def test_a_test_send_with_an_attachment_is_blocked_with_a_reason(workspace):
    result = gate(workspace, f"<p>Hello</p>{FOOTER}", attachments=["price-list.pdf"])
    assert not result.allowed and result.decision == "block"
    assert [r["code"] for r in result.reasons] == ["attachment"]
    assert "price-list.pdf" in result.reasons[0]["message"]


def test_a_high_risk_account_has_its_test_sends_held(workspace):
    services.risk_note_import(workspace=workspace, rows=risk_module.LARGE_FIRST_IMPORT)
    services.risk_note_campaign(workspace=workspace, sent=100, bounced=50, first=True)
    result = gate(workspace, f"<p>Our spring plants are in.</p>{FOOTER}")
    assert not result.allowed and result.decision == "hold"


def test_a_suspended_account_cannot_send_tests(workspace):
    services.account_suspend(workspace=workspace, by=UserFactory(is_staff=True), reason="abuse")
    result = gate(workspace, f"<p>Our spring plants are in.</p>{FOOTER}")
    assert not result.allowed and result.decision == "block" and result.result_id is None
    assert "suspended" in result.message


def test_the_gate_is_not_collected_as_a_test():
    assert services.test_send_gate.__test__ is False
