"""Plans and their limits, enforced in services (not templates)."""

from __future__ import annotations

import pytest

from mailsoftly.billing import usage as usage_adapters
from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.billing.models import Plan, Subscription, SubscriptionStatus
from mailsoftly.billing.selectors import plan_for_workspace, plan_list
from mailsoftly.billing.services import limit_check, usage_get
from tests.contacts.factories import ContactFactory


def _subscribe(workspace, code: str, status=SubscriptionStatus.ACTIVE) -> Subscription:
    sub, _ = Subscription.objects.update_or_create(
        workspace=workspace,
        defaults={"plan": Plan.objects.get(code=code), "status": status, "subscription_id": "s"},
    )
    return sub


def _limit(code: str, **limits) -> None:
    Plan.objects.filter(code=code).update(**limits)


def test_free_pro_and_business_exist_by_default_in_size_order(db):
    plans = list(plan_list())
    assert [p.code for p in plans] == ["free", "pro", "business"]
    free, pro, business = plans
    assert free.is_free and not pro.is_free
    assert free.contacts_limit < pro.contacts_limit < business.contacts_limit
    assert free.export_formats == ["csv"]
    assert not free.api_access and pro.api_access


def test_a_workspace_without_a_subscription_is_on_the_free_plan(workspace):
    assert plan_for_workspace(workspace=workspace).code == "free"


def test_contact_limit_refuses_with_a_message_naming_the_limit_and_the_way_up(workspace):
    _limit("free", contacts_limit=3)
    for _ in range(2):
        ContactFactory(workspace=workspace)
    limit_check(workspace=workspace, resource="contacts")  # the third still fits
    ContactFactory(workspace=workspace)
    with pytest.raises(LimitExceeded) as refused:
        limit_check(workspace=workspace, resource="contacts")
    message = refused.value.message
    assert "Free plan allows 3 contacts" in message
    assert "uses 3" in message
    assert "Pro plan" in message and "Plan & billing" in message
    assert refused.value.resource == "contacts" and refused.value.limit == 3


def test_an_import_is_checked_for_its_whole_size(workspace):
    _limit("free", contacts_limit=10)
    ContactFactory(workspace=workspace)
    limit_check(workspace=workspace, resource="contacts", amount=9)
    with pytest.raises(LimitExceeded, match="so 10 more would go over"):
        limit_check(workspace=workspace, resource="contacts", amount=10)


def test_trashed_contacts_do_not_count(workspace):
    _limit("free", contacts_limit=1)
    contact = ContactFactory(workspace=workspace)
    type(contact).objects.for_workspace(workspace).filter(pk=contact.pk).move_to_trash()
    limit_check(workspace=workspace, resource="contacts")


def test_a_campaign_over_the_monthly_allowance_is_refused_before_it_starts(workspace, monkeypatch):
    _limit("free", emails_month_limit=100)
    monkeypatch.setattr(usage_adapters, "emails_sent_since", lambda ws, since: 60)
    limit_check(workspace=workspace, resource="emails_month", amount=40)
    with pytest.raises(LimitExceeded) as refused:
        limit_check(workspace=workspace, resource="emails_month", amount=41)
    assert "100 emails per month" in refused.value.message
    assert "resets on the 1st" in refused.value.message


def test_seats_count_the_members(workspace):
    # The owner holds the Free plan's single seat.
    with pytest.raises(LimitExceeded, match="1 team seats"):
        limit_check(workspace=workspace, resource="seats")
    _subscribe(workspace, "pro")
    limit_check(workspace=workspace, resource="seats")


def test_export_formats_are_gated_by_plan(workspace):
    limit_check(workspace=workspace, resource="export_format", value="csv")
    with pytest.raises(LimitExceeded) as refused:
        limit_check(workspace=workspace, resource="export_format", value="xlsx")
    assert "XLSX is not included in your Free plan (it includes: CSV)" in refused.value.message
    assert "Pro plan" in refused.value.message
    _subscribe(workspace, "pro")
    limit_check(workspace=workspace, resource="export_format", value="XLSX")
    with pytest.raises(LimitExceeded, match="Business plan"):
        limit_check(workspace=workspace, resource="export_format", value="mbox")


@pytest.mark.parametrize("resource", ["api", "ip_collection"])
def test_features_are_gated_by_plan(workspace, resource):
    with pytest.raises(LimitExceeded, match="not included in your Free plan"):
        limit_check(workspace=workspace, resource=resource)
    _subscribe(workspace, "pro")
    limit_check(workspace=workspace, resource=resource)


def test_eu_residency_is_on_every_default_plan_but_an_operator_can_gate_it(workspace):
    limit_check(workspace=workspace, resource="eu_residency")
    _limit("free", eu_residency=False)
    with pytest.raises(LimitExceeded, match="EU data residency is not included"):
        limit_check(workspace=workspace, resource="eu_residency")


def test_operator_limits_apply_at_once_and_empty_means_unlimited(workspace):
    _limit("free", contacts_limit=None)
    for _ in range(3):
        ContactFactory(workspace=workspace)
    limit_check(workspace=workspace, resource="contacts", amount=10**6)


def test_unknown_resource_is_a_programming_error(workspace):
    with pytest.raises(ValueError, match="unknown billing resource"):
        limit_check(workspace=workspace, resource="widgets")


def test_downgrade_keeps_data_and_blocks_only_what_is_over_the_limit(workspace):
    _limit("free", contacts_limit=2)
    sub = _subscribe(workspace, "pro")
    for _ in range(4):
        ContactFactory(workspace=workspace)
    limit_check(workspace=workspace, resource="contacts")
    sub.status = SubscriptionStatus.CANCELED
    sub.plan = Plan.objects.get(code="free")
    sub.save()
    assert usage_get(workspace=workspace).contacts.used == 4  # nothing deleted
    with pytest.raises(LimitExceeded, match="uses 4"):
        limit_check(workspace=workspace, resource="contacts")
    limit_check(workspace=workspace, resource="export_format", value="csv")


def test_a_workspace_in_its_grace_period_keeps_its_plan(workspace):
    _subscribe(workspace, "pro", status=SubscriptionStatus.PAST_DUE)
    assert plan_for_workspace(workspace=workspace).code == "pro"
    _subscribe(workspace, "pro", status=SubscriptionStatus.CANCELED)
    assert plan_for_workspace(workspace=workspace).code == "free"


def test_usage_shows_counts_against_limits(workspace, eu_workspace):
    ContactFactory(workspace=eu_workspace)
    ContactFactory(workspace=eu_workspace)
    usage = usage_get(workspace=eu_workspace)
    assert usage.plan.code == "free"
    assert (usage.contacts.used, usage.contacts.limit) == (2, 500)
    assert usage.seats.used == 1
    assert usage.period_start.day == 1
    # The other workspace's contacts are not counted.
    assert usage_get(workspace=workspace).contacts.used == 0


def test_usage_says_not_tracked_when_the_owning_app_is_missing(workspace, monkeypatch):
    monkeypatch.setattr(usage_adapters, "_selector", lambda module, name: None)
    monkeypatch.setattr(usage_adapters, "_model", lambda app, model: None)
    usage = usage_get(workspace=workspace)
    assert usage.contacts.used is None and usage.emails_month.used is None
    # Not tracked is not enforced.
    limit_check(workspace=workspace, resource="contacts", amount=10**6)


def test_emails_this_month_count_the_campaign_deliveries_sent_since_the_1st(workspace):
    import time_machine

    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.campaigns.models import Delivery

    campaign = campaign_services.campaign_create(workspace=workspace, name="News")
    with time_machine.travel("2026-11-20 12:00Z", tick=False):
        for n, sent_at in enumerate(
            ["2026-10-31 23:59Z", "2026-11-01 00:00Z", "2026-11-19 08:00Z", None]
        ):
            Delivery.objects.for_workspace(workspace).create(
                workspace=workspace,
                campaign=campaign,
                email=f"p{n}@example.org",
                email_key=f"p{n}@example.org",
                sent_at=sent_at,
            )
        assert usage_get(workspace=workspace).emails_month.used == 2
        _limit("free", emails_month_limit=3)
        limit_check(workspace=workspace, resource="emails_month", amount=1)
        with pytest.raises(LimitExceeded, match="allows 3 emails per month"):
            limit_check(workspace=workspace, resource="emails_month", amount=2)
