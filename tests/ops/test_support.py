"""The support console: staff only, a reason before any access, every access audited (P14)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.ops.models import SupportAccess
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "name,args",
    [
        ("ops:console", []),
        ("ops:support_account", [1]),
        ("ops:support_workspace", [1]),
        ("ops:policy_publish", []),
    ],
)
def test_non_staff_probing_console_urls_get_404(logged_in_client, name, args):
    response = logged_in_client.get(reverse(name, args=args))
    assert response.status_code == 404


def test_anonymous_visitor_gets_404_not_a_login_redirect(client, db):
    assert client.get(reverse("ops:console")).status_code == 404


def test_staff_finds_accounts_and_workspaces(staff_client, user, workspace):
    response = staff_client.get(reverse("ops:console"), {"q": user.username})
    assert user.email in response.content.decode()
    response = staff_client.get(reverse("ops:console"), {"q": "Acme"})
    assert reverse("ops:support_workspace", args=[workspace.pk]) in response.content.decode()


@pytest.mark.policy("P14")
def test_staff_without_a_reason_gets_no_access(staff_client, user):
    url = reverse("ops:support_account", args=[user.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert user.email not in response.content.decode()
    assert "Reason (ticket reference)" in response.content.decode()
    # An empty or blank reason is refused next to the field.
    response = staff_client.post(url, {"reason": "   "})
    assert user.email not in response.content.decode()
    assert "This field is required" in response.content.decode()
    assert not SupportAccess.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="support.").exists()


@pytest.mark.policy("P14", "P36")
def test_each_view_is_recorded_with_reason_and_shown_to_the_owner(
    staff_client, staff, user, workspace, client
):
    url = reverse("ops:support_account", args=[user.pk])
    response = staff_client.post(url, {"reason": "TICKET-4711"}, follow=True)
    assert user.email in response.content.decode()
    staff_client.get(url)
    ws_url = reverse("ops:support_workspace", args=[workspace.pk])
    staff_client.post(ws_url, {"reason": "TICKET-4712"}, follow=True)

    rows = list(SupportAccess.objects.order_by("id"))
    assert [(r.reason, r.action, r.staff_id) for r in rows] == [
        ("TICKET-4711", "account_view", staff.pk),
        ("TICKET-4711", "account_view", staff.pk),
        ("TICKET-4712", "workspace_view", staff.pk),
    ]
    assert all(r.ip_address == "127.0.0.1" for r in rows)
    events = AuditEvent.objects.filter(action__startswith="support.")
    assert events.count() == 3
    assert events.filter(ip="127.0.0.1").count() == 3

    client.force_login(user)
    page = client.get(reverse("ops:access_history")).content.decode()
    assert "TICKET-4711" in page and "TICKET-4712" in page
    assert staff.username in page


def test_another_account_does_not_see_someone_elses_access_history(staff_client, user, client):
    staff_client.post(reverse("ops:support_account", args=[user.pk]), {"reason": "T-1"})
    staff_client.get(reverse("ops:support_account", args=[user.pk]))
    other = UserFactory()
    client.force_login(other)
    assert "T-1" not in client.get(reverse("ops:access_history")).content.decode()


def test_console_links_to_the_lifecycle_screening_and_statistics_tools(staff_client):
    page = staff_client.get(reverse("ops:console")).content.decode()
    for name in (
        "admin:lifecycle_accountdeletion_changelist",
        "admin:lifecycle_legalhold_changelist",
        "admin:lifecycle_datarequest_changelist",
        "screening:queue",
        "tracking:platform_statistics",
    ):
        assert reverse(name) in page


def test_garbage_ids_are_404_for_staff(staff_client):
    assert staff_client.get("/support/accounts/abc/").status_code == 404
    assert staff_client.get("/support/workspaces/999999/").status_code == 404


def test_a_reason_is_asked_again_after_an_hour(staff_client, user):
    import time_machine

    from mailsoftly.core import clock

    url = reverse("ops:support_account", args=[user.pk])
    staff_client.post(url, {"reason": "TICKET-1"})
    assert user.email in staff_client.get(url).content.decode()
    with time_machine.travel(clock.now() + timedelta(minutes=59)):
        assert user.email in staff_client.get(url).content.decode()
    with time_machine.travel(clock.now() + timedelta(minutes=61)):
        page = staff_client.get(url).content.decode()
    assert user.email not in page
    assert "Reason (ticket reference)" in page


@pytest.mark.policy("P14", "P41", "P20")
def test_staff_see_the_accounts_consent_ledger_after_giving_a_reason(staff_client, user):
    from mailsoftly.accounts.services import marketing_consent_set, third_party_sharing_set

    marketing_consent_set(user=user, granted=True, source="my_account", ip_address="192.0.2.1")
    third_party_sharing_set(user=user, granted=True, source="my_account", ip_address="192.0.2.2")
    url = reverse("ops:support_account", args=[user.pk])
    assert "consent-ledger" not in staff_client.get(url).content.decode()
    page = staff_client.post(url, {"reason": "TICKET-9"}, follow=True).content.decode()
    ledger = page[page.index('id="consent-ledger"') :]
    assert "Sharing my contact details with partners: yes (My Account, 192.0.2.2)" in ledger
    assert "192.0.2.1" in ledger
