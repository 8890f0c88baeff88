"""The embedded default: the fake gateway's hosted page, plan changes, invoices, CSP."""

from __future__ import annotations

import re

import pytest
from django.test import TestCase
from django.urls import reverse

from mailsoftly.billing.gateways import fake
from mailsoftly.billing.models import Invoice, Subscription, SubscriptionStatus
from mailsoftly.billing.selectors import plan_for_workspace
from mailsoftly.billing.services import limit_check
from mailsoftly.teams.models import Membership, Role
from tests.contacts.factories import ContactFactory
from tests.factories import UserFactory


def _checkout(client) -> str:
    response = client.post(reverse("billing:choose"), {"plan": "pro"})
    assert response.status_code == 302
    return response["Location"]


def _pay(client, url: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, {"action": "pay"})


def _script_sources(response) -> str:
    """Where scripts may come from. Hash-pinned inline handlers of the shell are allowed."""
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    tokens = policy["script-src"].split()
    assert "'unsafe-inline'" not in tokens and "'unsafe-eval'" not in tokens
    return " ".join(t for t in tokens if t != "'unsafe-hashes'" and not t.startswith("'sha256-"))


def test_plan_page_shows_plan_usage_and_plans(logged_in_client):
    response = logged_in_client.get(reverse("billing:plan"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="current-plan">Free<' in html
    assert 'data-testid="limit-contacts">500<' in html
    assert "Choose Pro" in html and "Choose Business" in html
    assert _script_sources(response) == "'self'"


def test_members_cannot_open_billing(client, workspace):
    member = UserFactory()
    Membership.objects.create(user=member, workspace=workspace, role=Role.MEMBER)
    client.force_login(member)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    assert client.get(reverse("billing:plan")).status_code == 403
    assert client.post(reverse("billing:choose"), {"plan": "pro"}).status_code == 403


@pytest.mark.policy("P06", "P07")
def test_fake_checkout_page_takes_no_card_and_allows_scripts_only_from_us(logged_in_client):
    url = _checkout(logged_in_client)
    assert url.startswith("/billing/fake-gateway/checkout/")
    response = logged_in_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pay (test)" in html
    inputs = re.findall(r"<input[^>]*>", html)
    assert all('type="hidden"' in tag for tag in inputs), inputs
    assert "<textarea" not in html and 'autocomplete="cc-' not in html
    form = html[html.index('<form method="post" class="d-flex gap-2">') :]
    assert "<select" not in form[: form.index("</form>")]
    assert _script_sources(response) == "'self'"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.policy("P07")
def test_stripe_checkout_pages_allow_scripts_only_from_us_and_stripe(logged_in_client, stripe_api):
    response = logged_in_client.get(reverse("billing:plan"))
    assert _script_sources(response) == "'self' https://js.stripe.com"


def test_choose_pro_pay_and_the_limits_are_raised(logged_in_client, workspace, mailoutbox):
    with pytest.raises(Exception, match="1 team seats"):
        limit_check(workspace=workspace, resource="seats", amount=1)
    response = _pay(logged_in_client, _checkout(logged_in_client))
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("billing:checkout_return"))
    sub = Subscription.objects.get(workspace=workspace)
    assert sub.status == SubscriptionStatus.ACTIVE
    assert plan_for_workspace(workspace=workspace).code == "pro"
    limit_check(workspace=workspace, resource="seats", amount=1)
    limit_check(workspace=workspace, resource="api")
    page = logged_in_client.get(reverse("billing:checkout_return"), follow=True)
    assert "The Pro plan is active" in page.content.decode()
    assert 'data-testid="limit-contacts">10,000<' in page.content.decode()
    invoice = Invoice.objects.get(workspace=workspace)
    assert invoice.status == "paid" and invoice.amount_cents == 2900
    assert any(invoice.number in m.subject for m in mailoutbox)


def test_cancelled_fake_checkout_changes_nothing(logged_in_client, workspace):
    url = _checkout(logged_in_client)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = logged_in_client.post(url, {"action": "cancel"})
    assert response["Location"].endswith(reverse("billing:plan"))
    assert plan_for_workspace(workspace=workspace).code == "free"
    assert logged_in_client.get(url).status_code == 404  # no second use


def test_invoices_are_listed_and_downloadable(logged_in_client, workspace):
    _pay(logged_in_client, _checkout(logged_in_client))
    listing = logged_in_client.get(reverse("billing:invoices"))
    invoice = Invoice.objects.get(workspace=workspace)
    assert invoice.number in listing.content.decode()
    download = logged_in_client.get(reverse("billing:invoice_download", args=[invoice.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")  # its text: tests/billing/test_invoice_pdf.py


def test_upgrade_is_prorated_by_the_gateway_and_downgrade_back_to_free_is_at_period_end(
    logged_in_client, workspace
):
    _pay(logged_in_client, _checkout(logged_in_client))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = logged_in_client.post(reverse("billing:choose"), {"plan": "business"})
    assert response.status_code == 302
    assert plan_for_workspace(workspace=workspace).code == "business"
    proration = Invoice.objects.filter(workspace=workspace).order_by("-id").first()
    # A month's difference is 70.00; almost the whole month is left.
    assert 6900 <= proration.amount_cents <= 7000
    with TestCase.captureOnCommitCallbacks(execute=True):
        logged_in_client.post(reverse("billing:choose"), {"plan": "free"})
    sub = Subscription.objects.get(workspace=workspace)
    assert sub.cancel_at_period_end
    assert plan_for_workspace(workspace=workspace).code == "business"  # paid up to the end
    with TestCase.captureOnCommitCallbacks(execute=True):
        fake.fake_renew(subscription_id=sub.subscription_id)
    assert plan_for_workspace(workspace=workspace).code == "free"


def test_forged_fake_webhooks_are_rejected(client):
    payload = b'{"id": "fevt_x", "type": "checkout.completed", "created": 1, "data": {}}'
    response = client.post(
        reverse("billing:webhook", kwargs={"gateway": "fake"}),
        payload,
        content_type="application/json",
        HTTP_FAKE_SIGNATURE=fake.sign(payload, secret="guessed"),
    )
    assert response.status_code == 400
    unknown = client.post(
        reverse("billing:webhook", kwargs={"gateway": "paypal"}),
        payload,
        content_type="application/json",
    )
    assert unknown.status_code == 400


@pytest.mark.policy("P06")
def test_billing_profile_validates_tax_id_and_country_becomes_the_location(
    logged_in_client, workspace
):
    from mailsoftly.billing.selectors import workspace_location

    url = reverse("billing:profile")
    data = {
        "name": "Acme GmbH",
        "email": "billing@acme.example",
        "line1": "Hauptstraße 1",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
        "tax_id": "DE123",
    }
    bad = logged_in_client.post(url, data)
    assert bad.status_code == 200
    assert "not a valid EU VAT number" in bad.content.decode()
    assert 'id="id_tax_id-error"' in bad.content.decode()
    assert workspace_location(workspace=workspace) == ""
    good = logged_in_client.post(url, {**data, "tax_id": "DE 136 695 976"}, follow=True)
    html = good.content.decode()
    assert "Billing details saved" in html
    assert "suggests the EU data region" in html
    assert workspace_location(workspace=workspace) == "DE"
    from mailsoftly.billing.models import BillingProfile

    assert BillingProfile.objects.get(workspace=workspace).tax_id == "DE136695976"
    missing = logged_in_client.post(url, {**data, "country": "", "name": ""})
    assert missing.status_code == 200
    assert missing.content.decode().count("invalid-feedback") == 2


@pytest.mark.policy("P06")
def test_billing_country_proposes_the_data_region():
    from mailsoftly.billing.selectors import region_proposed_for_country

    assert region_proposed_for_country("FR") == "eu"
    assert region_proposed_for_country("gr") == "eu"
    assert region_proposed_for_country("US") == "us"
    assert region_proposed_for_country("CH") == "us"


def test_dashboard_shows_plan_and_usage(logged_in_client, workspace):
    ContactFactory(workspace=workspace)
    html = logged_in_client.get(reverse("web:dashboard")).content.decode()
    assert "Emails this month" in html
    assert "1 of 500" in html


@pytest.mark.policy("P21")
def test_the_billing_contact_receives_the_invoices(logged_in_client, workspace, user, mailoutbox):
    from mailsoftly.teams.models import BillingContact

    BillingContact.objects.for_workspace(workspace).create(
        workspace=workspace, name="Bea Billing", email="bea@example.org", address="1 Road"
    )
    _pay(logged_in_client, _checkout(logged_in_client))
    invoice = Invoice.objects.get(workspace=workspace)
    mails = [m for m in mailoutbox if invoice.number in m.subject]
    assert len(mails) == 1
    assert mails[0].to == ["bea@example.org"]
    assert "/billing/invoices/" in mails[0].body


def test_demo_step_seeds_plans_and_a_profile_idempotently(workspace, user):
    from mailsoftly.billing.demo import billing_demo
    from mailsoftly.billing.models import BillingProfile, Plan

    Plan.objects.all().delete()
    billing_demo(workspace=workspace, user=user)
    billing_demo(workspace=workspace, user=user)
    assert Plan.objects.count() == 3
    assert BillingProfile.objects.filter(workspace=workspace).count() == 1


@pytest.mark.policy("P06")
def test_a_users_billing_country_proposes_the_region_of_their_next_workspace(workspace, user):
    from mailsoftly.billing.selectors import region_proposed_for_user
    from mailsoftly.billing.services import billing_profile_save

    assert region_proposed_for_user(user=user) is None
    billing_profile_save(
        workspace=workspace,
        actor=user,
        name="Ada",
        email="ada@example.org",
        line1="Rue 1",
        city="Paris",
        country="FR",
    )
    assert region_proposed_for_user(user=user) == "eu"
    assert region_proposed_for_user(user=UserFactory()) is None


def test_plan_page_warns_during_the_grace_period_and_offers_cancel(logged_in_client, workspace):
    _pay(logged_in_client, _checkout(logged_in_client))
    sub = Subscription.objects.get(workspace=workspace)
    with TestCase.captureOnCommitCallbacks(execute=True):
        fake.fake_renew(subscription_id=sub.subscription_id, pay=False)
    html = logged_in_client.get(reverse("billing:plan")).content.decode()
    assert "The last payment failed" in html
    assert "Cancel at the end of the period" in html
    assert 'data-testid="current-plan">Pro<' in html
    with TestCase.captureOnCommitCallbacks(execute=True):
        logged_in_client.post(reverse("billing:cancel"))
    response = logged_in_client.get(reverse("billing:plan"))
    assert "ends at the end of the period" in response.content.decode()
    assert Subscription.objects.get(workspace=workspace).cancel_at_period_end
    assert "Cancel at the end of the period" not in response.content.decode()
