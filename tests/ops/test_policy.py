"""Policy versions: publishing, public pages, notices, banner, acceptance (P32, P41)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from mailsoftly.accounts.models import PolicyAcceptance
from mailsoftly.core import clock
from mailsoftly.ops.models import PolicyVersion
from mailsoftly.ops.services import policy_version_publish
from tests.factories import UserFactory


def _publish(**kw):
    defaults = {
        "kind": "privacy",
        "version": "v2",
        "body": "# Privacy\n\nWe keep **little**.",
        "effective_at": clock.now() + timedelta(days=30),
        "material": False,
    }
    return policy_version_publish(**{**defaults, **kw})


def test_current_version_is_a_public_page_with_markdown_rendered_safely(client, db):
    pv = _publish(body="# Our policy\n\n<script>alert(1)</script> **bold**")
    with time_machine.travel(pv.effective_at + timedelta(minutes=1)):
        page = client.get(reverse("ops:policy", args=["privacy"])).content.decode()
    assert "<h1>Our policy</h1>" in page
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_no_current_version_yet_is_404(client, db):
    _publish()
    assert client.get(reverse("ops:policy", args=["privacy"])).status_code == 404
    assert client.get(reverse("ops:policy", args=["cookies"])).status_code == 404


def test_effective_date_in_the_past_is_refused_clearly(db):
    with pytest.raises(ValidationError) as exc:
        _publish(effective_at=clock.now() - timedelta(days=1))
    assert "in the past" in str(exc.value.message_dict["effective_at"])
    assert not PolicyVersion.objects.exists()


def test_two_pending_versions_at_once_are_refused(db):
    _publish(version="v2")
    with pytest.raises(ValidationError) as exc:
        _publish(version="v3")
    assert "already waiting" in str(exc.value.message_dict["__all__"])
    assert PolicyVersion.objects.count() == 1


def test_publish_form_shows_errors_next_to_the_field(staff_client):
    past = (clock.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.post(
        reverse("ops:policy_publish"),
        {"kind": "terms", "version": "t1", "effective_at": past, "body": "x"},
    )
    assert response.status_code == 200
    assert "in the past" in response.content.decode()
    assert not PolicyVersion.objects.exists()


@pytest.mark.policy("P32")
def test_material_change_notifies_every_account_and_shows_banner_until_acknowledged(
    logged_in_client, user, django_capture_on_commit_callbacks
):
    other = UserFactory()
    with time_machine.travel(clock.now() + timedelta(seconds=5)):
        with django_capture_on_commit_callbacks(execute=True):
            pv = _publish(material=True)
        recipients = sorted(m.to[0] for m in mail.outbox)
        assert recipients == sorted([user.email, other.email])
        assert "?version=v2" in mail.outbox[0].body

        page = logged_in_client.get(reverse("web:dashboard")).content.decode()
        assert "We are changing our Privacy policy" in page
        assert reverse("lifecycle:account_delete") in page

        logged_in_client.post(
            reverse("ops:policy_acknowledge"),
            {"version": pv.pk, "next": "/"},
            REMOTE_ADDR="203.0.113.9",
        )
        acceptance = PolicyAcceptance.objects.get(user=user, policy_version="v2")
        assert acceptance.ip_address == "203.0.113.9"
        assert acceptance.source == "acknowledged"
        page = logged_in_client.get(reverse("web:dashboard")).content.decode()
        assert "We are changing our Privacy policy" not in page


def test_notice_task_run_twice_sends_once(db, user, django_capture_on_commit_callbacks):
    from mailsoftly.ops.services import policy_notice_send

    with (
        time_machine.travel(clock.now() + timedelta(seconds=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        pv = _publish(material=True)
    count = len(mail.outbox)
    assert policy_notice_send(version_id=pv.pk) == 0
    assert len(mail.outbox) == count


@pytest.mark.policy("P32", "P41")
def test_continued_use_after_the_notice_period_is_recorded_as_acceptance(logged_in_client, user):
    with time_machine.travel(clock.now() + timedelta(seconds=5)):
        pv = _publish(material=True)
    # During the notice period, using the service is not acceptance.
    with time_machine.travel(pv.effective_at - timedelta(days=1)):
        logged_in_client.force_login(user)
        logged_in_client.get(reverse("web:dashboard"))
    assert not PolicyAcceptance.objects.filter(user=user, policy_version="v2").exists()
    with time_machine.travel(pv.effective_at + timedelta(days=1)):
        logged_in_client.force_login(user)  # the earlier session has expired by then
        logged_in_client.get(reverse("web:dashboard"), REMOTE_ADDR="198.51.100.4")
    acceptance = PolicyAcceptance.objects.get(user=user, policy_version="v2")
    assert acceptance.source == "continued_use"
    assert acceptance.ip_address == "198.51.100.4"
    assert acceptance.accepted_at >= pv.effective_at


def test_non_material_change_sends_no_notice_and_no_banner(logged_in_client, user):
    with time_machine.travel(clock.now() + timedelta(seconds=5)):
        _publish(material=False)
        assert mail.outbox == []
        page = logged_in_client.get(reverse("web:dashboard")).content.decode()
    assert "We are changing our" not in page


def _policy_queries(ctx) -> list[str]:
    tables = ("ops_policyversion", "accounts_policyacceptance")
    return [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in tables)]


@pytest.mark.policy("P32")
def test_the_banner_costs_no_query_per_page_once_seen_and_a_new_version_shows_at_once(
    logged_in_client, user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dashboard = reverse("web:dashboard")
    banner = "We are changing our"
    logged_in_client.get(dashboard)  # fills the cache: no material version yet
    with CaptureQueriesContext(connection) as quiet:
        assert banner not in logged_in_client.get(dashboard).content.decode()
    assert _policy_queries(quiet) == []

    with time_machine.travel(clock.now() + timedelta(seconds=5)):
        with django_capture_on_commit_callbacks(execute=True):
            pv = _publish(material=True)
        with CaptureQueriesContext(connection) as first:
            assert banner in logged_in_client.get(dashboard).content.decode()
        # Publishing cleared the cache: one look-up per document, one for acceptances,
        # shared by the banner and the continued-use check.
        assert len(_policy_queries(first)) == 3
        logged_in_client.post(reverse("ops:policy_acknowledge"), {"version": pv.pk})
        logged_in_client.get(dashboard)  # finds it accepted and remembers that
        with CaptureQueriesContext(connection) as later:
            assert banner not in logged_in_client.get(dashboard).content.decode()
        assert _policy_queries(later) == []

        with django_capture_on_commit_callbacks(execute=True):
            _publish(kind="terms", version="t2", material=True)
        page = logged_in_client.get(dashboard).content.decode()
        assert "We are changing our Terms of service" in page


@pytest.mark.policy("P32", "P35")
def test_the_notice_mail_speaks_the_accounts_language(db, django_capture_on_commit_callbacks):
    UserFactory(username="greta", email="greta@example.com", language="de")
    with (
        time_machine.travel(clock.now() + timedelta(seconds=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _publish(material=True)
    german = next(m for m in mail.outbox if m.to == ["greta@example.com"])
    assert german.subject == "Wir ändern unsere Datenschutzerklärung"
    assert "Die neue Version gilt ab" in german.body
