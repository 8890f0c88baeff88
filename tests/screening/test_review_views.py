"""The operator review queue: staff only, sandboxed preview, decisions (policy P16)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.screening.models import Review, ScreeningResult
from mailsoftly.screening.services import content_screen
from tests.audit.helpers import audit_row
from tests.factories import UserFactory

pytestmark = [pytest.mark.policy("P16"), pytest.mark.django_db]

PHISH = (
    "<p>We noticed unusual activity. Verify your account now.</p>"
    '<a href="https://account-check.example/">https://shop.example/account</a>'
    "<script>alert(1)</script>"
)


@pytest.fixture(autouse=True)
def _no_spamassassin(settings):
    settings.SCREENING_SPAMASSASSIN = False


@pytest.fixture
def held(workspace):
    result = content_screen(
        workspace=workspace,
        subject="Account notice",
        from_address="support@shop.example",
        html=PHISH,
        text="Unsubscribe: {{ unsubscribe_url }}",
    )
    assert result.review == Review.PENDING
    return result


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    client.staff = staff
    return client


def urls(result, region="us"):
    return {
        name: reverse(f"screening:{name}", args=[region, result.pk])
        for name in ("detail", "preview", "decide")
    }


def test_members_do_not_see_the_queue(logged_in_client, held):
    assert logged_in_client.get(reverse("screening:queue")).status_code == 404
    for url in urls(held).values():
        assert logged_in_client.get(url).status_code == 404


def test_staff_see_held_email_with_reasons_and_a_sandboxed_preview(staff_client, held):
    page = staff_client.get(reverse("screening:queue"))
    assert page.status_code == 200
    assert "Account notice" in page.content.decode()
    detail = staff_client.get(urls(held)["detail"]).content.decode()
    assert "Verify your account" in detail  # the credential-bait reason
    assert 'sandbox=""' in detail and urls(held)["preview"] in detail
    assert "<script>alert(1)</script>" not in detail  # never inline
    preview = staff_client.get(urls(held)["preview"])
    assert preview["Content-Security-Policy"].startswith("sandbox")
    assert b"account-check.example" in preview.content


def test_blocking_needs_a_comment_shown_next_to_the_field(staff_client, held):
    response = staff_client.post(urls(held)["decide"], {"decision": "block", "comment": ""})
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    held.refresh_from_db()
    assert held.review == Review.PENDING


def test_approving_records_audit_notifies_and_leaves_the_queue(
    staff_client, held, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            urls(held)["decide"], {"decision": "approve", "comment": "Known sender"}
        )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.review == Review.APPROVED and held.review_comment == "Known sender"
    assert held.reviewed_by_id == staff_client.staff.pk
    event = audit_row(action="screening.approve")
    assert event.actor_id == staff_client.staff.pk and event.ip
    assert [m.subject for m in mailoutbox if "approved" in m.subject]
    assert "Account notice" not in staff_client.get(reverse("screening:queue")).content.decode()


def test_garbage_ids_and_regions_are_404(staff_client, held):
    assert staff_client.get(f"/screening/review/xx/{held.pk}/").status_code == 404
    assert staff_client.get(f"/screening/review/eu/{held.pk}/").status_code == 404
    assert not ScreeningResult.objects.dangerously_all_workspaces("eu").exists()


def test_the_sender_sees_why_their_email_was_held(logged_in_client, held):
    page = logged_in_client.get(reverse("screening:result", args=[held.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "waiting for a review" in body
    assert "Verify your account" in body or "verify your account" in body


def test_a_result_of_another_workspace_is_404(logged_in_client, eu_workspace):
    other = content_screen(
        workspace=eu_workspace, subject="x", from_address="a@b.example", html="<p>x</p>", text=""
    )
    assert logged_in_client.get(reverse("screening:result", args=[other.pk])).status_code == 404
    assert logged_in_client.get("/screening/results/99999/").status_code == 404


def test_an_operator_can_block_and_suspend_the_account_in_one_decision(
    staff_client, held, workspace, django_capture_on_commit_callbacks
):
    from mailsoftly.screening.models import AccountRisk
    from mailsoftly.screening.services import test_send_gate

    page = staff_client.get(urls(held)["detail"]).content.decode()
    assert "Also suspend this account from sending" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            urls(held)["decide"],
            {"decision": "block", "comment": "Phishing run", "suspend": "on"},
        )
    assert response.status_code == 302
    risk = AccountRisk.objects.get(workspace_id=workspace.pk)
    assert risk.suspended_at is not None and risk.suspended_reason == "Phishing run"
    assert AuditEvent.objects.filter(action="screening.suspend").count() == 1
    gate = test_send_gate(
        workspace=workspace,
        subject="Hello",
        from_address="a@shop.example",
        html="<p>Hello</p>",
        text="Hello",
    )
    assert not gate.allowed and "suspended" in gate.message


def test_suspending_without_blocking_is_refused_next_to_the_box(staff_client, held, workspace):
    from mailsoftly.screening.models import AccountRisk

    response = staff_client.post(
        urls(held)["decide"], {"decision": "approve", "comment": "", "suspend": "on"}
    )
    assert response.status_code == 400
    assert "only together with a block" in response.content.decode()
    held.refresh_from_db()
    assert held.review == Review.PENDING
    assert not AccountRisk.objects.filter(
        workspace_id=workspace.pk, suspended_at__isnull=False
    ).exists()
