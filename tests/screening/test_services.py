"""Screening services: cached verdicts, the send gate, review, account risk (policy P16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from mailsoftly.screening import services
from mailsoftly.screening.models import (
    AccountRisk,
    BlockedDomain,
    Review,
    RiskLevel,
    ScreeningResult,
    SignupRecord,
)
from mailsoftly.screening.tasks import campaign_screen_task
from tests.factories import UserFactory
from tests.screening.helpers import PHISH_HTML, make_campaign

pytestmark = [pytest.mark.policy("P16"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _no_spamassassin(settings):
    settings.SCREENING_SPAMASSASSIN = False


def screen(workspace, html="<p>Hello</p>", **kw):
    kw.setdefault("subject", "Hello")
    kw.setdefault("from_address", "a@shop.example")
    kw.setdefault("text", "Hello. Unsubscribe: {{ unsubscribe_url }}")
    return services.content_screen(workspace=workspace, html=html, **kw)


def test_unchanged_content_is_screened_once(workspace, monkeypatch):
    from mailsoftly.screening.services import screen as screen_module

    calls = []
    real = screen_module.screen_content
    monkeypatch.setattr(
        screen_module, "screen_content", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    first = screen(workspace)
    second = screen(workspace)
    assert first.pk == second.pk and len(calls) == 1
    screen(workspace, html="<p>Hello again</p>")
    assert len(calls) == 2
    assert ScreeningResult.objects.for_workspace(workspace).count() == 2


def test_held_content_waits_in_the_review_queue(workspace):
    from mailsoftly.screening.selectors import review_queue_list

    result = screen(workspace, html='<a href="http://192.0.2.1/">x</a>')
    assert result.decision == "hold" and result.review == Review.PENDING
    assert any(r["code"] == "ip_url" for r in result.reasons)
    assert [r.pk for r in review_queue_list()] == [result.pk]


@pytest.mark.policy("P40")
def test_eu_results_stay_in_the_eu_database(eu_workspace):
    result = screen(eu_workspace)
    assert ScreeningResult.objects.dangerously_all_workspaces("eu").filter(pk=result.pk).exists()
    assert (
        not ScreeningResult.objects.dangerously_all_workspaces("us")
        .filter(content_hash=result.content_hash)
        .exists()
    )


def test_operator_blocklist_applies(workspace):
    html = '<a href="https://pills.example/buy">shop</a>'
    assert screen(workspace, html=html).decision == "pass"
    BlockedDomain.objects.create(domain="pills.example")
    result = screen(workspace, html=html)
    assert result.decision == "block"


def test_from_domain_must_match_a_verified_domain(workspace):
    from mailsoftly.sending.models import DkimKey

    DkimKey.objects.for_workspace(workspace).create(
        workspace=workspace, domain="shop.example", selector="s1", private_key="x", public_key="y"
    )
    assert screen(workspace, from_address="a@shop.example").decision == "pass"
    result = screen(workspace, from_address="a@bank.example")
    assert result.decision == "block"
    assert result.reasons[0]["code"] == "from_unverified"


def test_campaign_screen_task_stores_the_verdict(workspace):
    campaign = make_campaign(workspace, html=PHISH_HTML)
    outcome = campaign_screen_task.delay(workspace_id=workspace.pk, campaign_id=campaign.pk).get()
    assert outcome["decision"] in {"hold", "block"}
    result = ScreeningResult.objects.for_workspace(workspace).get(pk=outcome["result_id"])
    assert result.campaign_id == campaign.pk
    assert {"link_text_mismatch", "credential_bait"} <= {r["code"] for r in result.reasons}


def test_gate_lets_clean_campaigns_through(workspace):
    campaign = make_campaign(workspace)
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert gate.allowed and gate.decision == "pass", gate


def test_gate_holds_phishing_until_an_operator_approves(
    workspace, mailoutbox, django_capture_on_commit_callbacks
):
    campaign = make_campaign(workspace, html=PHISH_HTML)
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert not gate.allowed and gate.decision == "hold"
    assert gate.reasons and gate.message
    result = ScreeningResult.objects.for_workspace(workspace).get(pk=gate.result_id)
    staff = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.screening_approve(result=result, reviewer=staff, comment="Known customer")
    again = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert again.allowed and again.decision == "pass"
    assert any("approved" in m.subject for m in mailoutbox)


def test_operator_block_is_final_and_explained(
    workspace, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.audit.helpers import audit_rows

    campaign = make_campaign(workspace, html=PHISH_HTML)
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    result = ScreeningResult.objects.for_workspace(workspace).get(pk=gate.result_id)
    staff = UserFactory(is_staff=True)
    with pytest.raises(Exception, match="Say why"):
        services.screening_block(result=result, reviewer=staff, comment=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.screening_block(result=result, reviewer=staff, comment="Phishing")
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert not gate.allowed and gate.decision == "block"
    assert audit_rows(action="screening.block", actor=staff)
    blocked_mail = [m for m in mailoutbox if "blocked" in m.subject]
    assert blocked_mail and "Phishing" in blocked_mail[0].body


def test_only_staff_review(workspace, user):
    result = screen(workspace, html='<a href="http://192.0.2.1/">x</a>')
    with pytest.raises(PermissionError):
        services.screening_approve(result=result, reviewer=user)
    result.refresh_from_db()
    assert result.review == Review.PENDING


def test_editing_the_design_screens_again(workspace):
    campaign = make_campaign(workspace, html=PHISH_HTML)
    first = services.campaign_screen(workspace=workspace, campaign_id=campaign.pk)
    design = campaign.design
    design.compiled_html = design.compiled_html.replace("verify your account", "read our news")
    design.save()
    second = services.campaign_screen(workspace=workspace, campaign_id=campaign.pk)
    assert second.pk != first.pk


def test_a_blocked_campaign_shows_its_reasons_and_passes_once_edited_and_resubmitted(workspace):
    from tests.screening.helpers import CLEAN_HTML

    script_link = '<p><a href="javascript:steal()">Claim your prize</a></p>'
    campaign = make_campaign(workspace, html=CLEAN_HTML.replace("</body>", script_link + "</body>"))
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert not gate.allowed and gate.decision == "block"
    assert "Fix the reasons shown" in gate.message
    (reason,) = [r for r in gate.reasons if r["code"] == "script_url"]
    assert "runs script code" in reason["message"] and reason["message"]
    # The user removes the link and sends again: the new content is screened afresh.
    design = campaign.design
    design.compiled_html = design.source = CLEAN_HTML
    design.save()
    again = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert again.allowed and again.decision == "pass" and again.result_id != gate.result_id


# ------------------------------------------------------------------ account risk


def test_disposable_sign_up_raises_risk(workspace):
    user = UserFactory(email="x@mailinator.com")
    risk = services.signup_record(user=user, ip="198.51.100.7", workspace=workspace)
    assert risk.signals.get("disposable_email") == "mailinator.com"
    assert risk.level == RiskLevel.ELEVATED
    assert SignupRecord.objects.get(user_id=user.pk).ip_prefix == "198.51.100.0/24"


def test_sign_up_velocity_per_ip_and_prefix(workspace):
    for i in range(12):
        services.signup_record(user=UserFactory(), ip=f"203.0.113.{i % 4 + 1}")
    risk = services.signup_record(user=UserFactory(), ip="203.0.113.1", workspace=workspace)
    assert {"signup_ip_velocity", "signup_prefix_velocity"} <= set(risk.signals)
    assert risk.level == RiskLevel.ELEVATED


def test_old_sign_ups_do_not_count(workspace):
    with time_machine.travel(timedelta(days=-3), tick=False):
        for _ in range(6):
            services.signup_record(user=UserFactory(), ip="203.0.113.5")
    risk = services.signup_record(user=UserFactory(), ip="203.0.113.5", workspace=workspace)
    assert "signup_ip_velocity" not in risk.signals


def test_high_risk_holds_every_campaign(workspace):
    services.risk_note_import(workspace=workspace, rows=50_000)
    risk = services.risk_note_campaign(workspace=workspace, sent=100, bounced=20, first=True)
    assert risk.level == RiskLevel.HIGH
    campaign = make_campaign(workspace)
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert not gate.allowed and gate.decision == "hold"
    result = ScreeningResult.objects.for_workspace(workspace).get(pk=gate.result_id)
    assert result.review == Review.PENDING


def test_complaints_raise_risk_and_small_numbers_do_not(workspace):
    risk = services.risk_note_campaign(workspace=workspace, sent=50, bounced=0, complaints=5)
    assert "complaints" not in risk.signals
    risk = services.risk_note_campaign(workspace=workspace, sent=1000, bounced=0, complaints=5)
    assert risk.signals["complaints"] == "5/1000"


def test_suspended_account_cannot_send(workspace):
    staff = UserFactory(is_staff=True)
    services.account_suspend(workspace=workspace, by=staff, reason="spam run")
    campaign = make_campaign(workspace)
    gate = services.screening_gate(workspace=workspace, campaign_id=campaign.pk)
    assert not gate.allowed and gate.decision == "block"
    assert AccountRisk.objects.get(workspace=workspace).suspended_reason == "spam run"


def test_suspending_an_account_is_for_staff_and_audit_logged(workspace, user):
    from mailsoftly.audit.models import AuditEvent

    with pytest.raises(PermissionError):
        services.account_suspend(workspace=workspace, by=user, reason="no")
    assert not AccountRisk.objects.filter(workspace=workspace, suspended_at__isnull=False).exists()
    staff = UserFactory(is_staff=True)
    services.account_suspend(workspace=workspace, by=staff, reason="phishing run")
    event = AuditEvent.objects.get(action="screening.suspend", actor=staff)
    assert event.after == {"reason": "phishing run"}


def test_test_sends_pass_the_same_gate(workspace):
    gate = services.test_send_gate(
        workspace=workspace,
        subject="Test",
        from_address="a@shop.example",
        html='<a href="javascript:steal()">Open</a>',
        text="",
    )
    assert not gate.allowed and gate.decision == "block"
    result = ScreeningResult.objects.for_workspace(workspace).get(pk=gate.result_id)
    assert result.kind == "test"


def test_scheduling_a_campaign_screens_it_ahead_of_its_time(
    workspace, django_capture_on_commit_callbacks
):
    import datetime as dt

    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.core import clock
    from tests.campaigns.helpers import make_list

    campaign = make_campaign(workspace, html=PHISH_HTML)
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann")])
    campaign = campaign_services.campaign_update(campaign=campaign, list_ids=[contact_list.pk])
    assert not ScreeningResult.objects.for_workspace(workspace).exists()

    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        campaign_services.campaign_schedule(
            campaign=campaign, at=clock.now() + dt.timedelta(days=1)
        )

    result = ScreeningResult.objects.for_workspace(workspace).get(campaign_id=campaign.pk)
    assert result.decision in {"hold", "block"}
