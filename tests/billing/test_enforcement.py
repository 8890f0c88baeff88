"""Plan limits enforced where things are created: a workspace at its limit gets the
message that names the limit and the way up, and nothing is written (no half-writes)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.billing.models import Plan
from mailsoftly.contacts import imports
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.models import Contact, ContactEvent, ContactImport, ImportStatus
from tests.contacts.factories import ContactFactory


def _limit(code: str = "free", **limits) -> None:
    Plan.objects.filter(code=code).update(**limits)


def _contacts(workspace) -> int:
    return Contact.objects.for_workspace(workspace).count()


# ---------------------------------------------------------------- contacts


def test_contact_create_at_the_contact_limit_is_refused_and_writes_nothing(workspace):
    _limit(contacts_limit=2)
    ContactFactory.create_batch(2, workspace=workspace)
    events = ContactEvent.objects.for_workspace(workspace).count()
    with pytest.raises(LimitExceeded) as caught:
        contact_services.contact_create(workspace=workspace, email="third@example.org")
    assert "Free plan allows 2 contacts" in caught.value.message
    assert "Pro plan" in caught.value.message
    assert _contacts(workspace) == 2
    assert ContactEvent.objects.for_workspace(workspace).count() == events


def test_contact_create_below_the_limit_still_works(workspace):
    _limit(contacts_limit=1)
    contact_services.contact_create(workspace=workspace, email="one@example.org")
    assert _contacts(workspace) == 1


def test_contact_form_at_the_limit_shows_the_message_not_a_500(logged_in_client, workspace):
    _limit(contacts_limit=1)
    ContactFactory(workspace=workspace)
    response = logged_in_client.post(
        reverse("contacts:contact_create"), {"email": "new@example.org"}
    )
    assert response.status_code == 200
    assert "Free plan allows 1 contacts" in response.content.decode()
    assert _contacts(workspace) == 1


def _upload(workspace, body: str) -> ContactImport:
    return imports.contact_import_upload(
        workspace=workspace, uploaded_file=SimpleUploadedFile("c.csv", body.encode())
    )


def test_an_import_that_would_pass_the_limit_is_refused_up_front(workspace):
    _limit(contacts_limit=3)
    ContactFactory(workspace=workspace, email="old@example.org")
    job = _upload(workspace, "email\nold@example.org\na@example.org\nb@example.org\nc@x.org\n")
    with pytest.raises(LimitExceeded) as caught:
        imports.contact_import_start(contact_import=job, mapping={"0": "email"}, mode="add")
    # 3 new addresses (the existing one is not counted) on top of 1 in use, limit 3
    assert "3 more would go over the limit" in caught.value.message
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert _contacts(workspace) == 1


def test_an_import_that_fits_counts_only_new_distinct_addresses(workspace):
    _limit(contacts_limit=3)
    ContactFactory(workspace=workspace, email="old@example.org")
    job = _upload(workspace, "email\nOLD@example.org\na@example.org\nA@example.org\nb@x.org\nx\n")
    with TestCase.captureOnCommitCallbacks(using=workspace.database, execute=True):
        imports.contact_import_start(contact_import=job, mapping={"0": "email"}, mode="add")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert _contacts(workspace) == 3


def test_unsubscribe_imports_are_not_limited(workspace):
    _limit(contacts_limit=0)
    job = _upload(workspace, "email\na@example.org\n")
    imports.contact_import_start(contact_import=job, mapping={"0": "email"}, mode="unsubscribe")
    job.refresh_from_db()
    assert job.status != ImportStatus.UPLOADED


def test_the_import_page_shows_the_limit_message_not_a_500(logged_in_client, workspace):
    _limit(contacts_limit=1)
    job = _upload(workspace, "email\na@example.org\nb@example.org\n")
    response = logged_in_client.post(
        reverse("contacts:import_detail", args=[job.pk]), {"col_0": "email", "mode": "add"}
    )
    assert response.status_code == 200
    assert "Free plan allows 1 contacts" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert _contacts(workspace) == 0


# ---------------------------------------------------------------- campaigns


def _campaign(workspace, n: int):
    from tests.campaigns.helpers import make_campaign, make_list, people

    contact_list, _people = make_list(workspace, people(n))
    return make_campaign(workspace, contact_list)


def _deliveries(workspace) -> int:
    from mailsoftly.campaigns.models import Delivery

    return Delivery.objects.for_workspace(workspace).count()


def test_a_send_over_the_monthly_allowance_is_refused_before_it_starts(workspace):
    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.campaigns.models import CampaignStatus

    campaign = _campaign(workspace, 3)
    _limit(emails_month_limit=2)
    with pytest.raises(LimitExceeded) as caught:
        campaign_services.campaign_send(campaign=campaign)
    assert "Free plan allows 2 emails per month" in caught.value.message
    assert "3 more would go over the limit" in caught.value.message
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.started_at is None
    assert _deliveries(workspace) == 0


def test_the_campaign_page_shows_the_allowance_message_not_a_500(logged_in_client, workspace):
    from mailsoftly.campaigns.models import CampaignStatus

    campaign = _campaign(workspace, 3)
    _limit(emails_month_limit=2)
    response = logged_in_client.post(
        reverse("campaigns:action", args=[campaign.pk]), {"action": "send"}, follow=True
    )
    assert response.status_code == 200
    assert "Free plan allows 2 emails per month" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert _deliveries(workspace) == 0


def test_a_scheduled_campaign_over_the_allowance_fails_at_start_with_the_reason(
    workspace, logged_in_client, time_machine
):
    import datetime as dt

    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.campaigns.models import CampaignStatus
    from mailsoftly.core import clock

    campaign = _campaign(workspace, 3)
    campaign_services.campaign_schedule(campaign=campaign, at=clock.now() + dt.timedelta(minutes=5))
    _limit(emails_month_limit=2)
    time_machine.move_to(clock.now() + dt.timedelta(minutes=10))
    assert campaign_services.campaign_start_due(workspace_ids=[workspace.pk]) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FAILED
    assert "Free plan allows 2 emails per month" in campaign.status_reason
    assert campaign.started_at is None
    assert _deliveries(workspace) == 0
    page = logged_in_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert "Free plan allows 2 emails per month" in page.content.decode()


def test_a_campaign_already_sending_finishes_after_a_downgrade(workspace):
    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.campaigns.models import CampaignStatus

    campaign = _campaign(workspace, 3)
    campaign_services.campaign_send(campaign=campaign, enqueue=False)
    campaign_services.campaign_pause(campaign=campaign)
    _limit(emails_month_limit=0)  # downgraded (or the operator cut the plan) mid-send
    campaign_services.campaign_resume(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING


# ---------------------------------------------------------------- teams


def test_an_invitation_past_the_seat_limit_is_refused_and_writes_nothing(workspace, user):
    from mailsoftly.teams.models import Invitation
    from mailsoftly.teams.services import invitation_create

    # The default Free plan has 1 seat, held by the Primary Admin.
    with pytest.raises(LimitExceeded) as caught:
        invitation_create(workspace=workspace, actor=user, email="new@example.org")
    assert "Free plan allows 1 team seats" in caught.value.message
    assert not Invitation.objects.filter(workspace_id=workspace.pk).exists()


def test_pending_invitations_hold_seats(workspace, user):
    from mailsoftly.teams.models import Invitation
    from mailsoftly.teams.services import invitation_create

    _limit(seats_limit=2)
    invitation_create(workspace=workspace, actor=user, email="one@example.org")
    with pytest.raises(LimitExceeded):
        invitation_create(workspace=workspace, actor=user, email="two@example.org")
    assert Invitation.objects.filter(workspace_id=workspace.pk).count() == 1


def test_the_invitations_page_shows_the_seat_message_not_a_500(logged_in_client, workspace):
    from mailsoftly.teams.models import Invitation

    response = logged_in_client.post(
        reverse("teams:invitations"), {"email": "x@example.org", "role": "member"}
    )
    assert response.status_code == 400  # the form with its error, as for other refusals
    assert "Free plan allows 1 team seats" in response.content.decode()
    assert not Invitation.objects.filter(workspace_id=workspace.pk).exists()


def test_an_eu_workspace_needs_a_plan_with_eu_residency(user, workspace, logged_in_client):
    from mailsoftly.teams.models import Workspace
    from mailsoftly.teams.services import workspace_create

    assert workspace_create(owner=user, name="EU ok", region="eu").region == "eu"  # default
    _limit("free", eu_residency=False)
    _limit("pro", eu_residency=False)
    before = Workspace.objects.count()
    with pytest.raises(LimitExceeded) as caught:
        workspace_create(owner=user, name="EU no", region="eu")
    assert "EU data residency is not included in your Free plan" in caught.value.message
    response = logged_in_client.post(
        reverse("teams:workspace_new"), {"name": "EU form", "region": "eu"}
    )
    assert response.status_code == 400
    assert "EU data residency is not included" in response.content.decode()
    assert Workspace.objects.count() == before
    assert workspace_create(owner=user, name="US", region="us").region == "us"


def test_an_owner_whose_other_workspace_has_eu_residency_may_add_an_eu_workspace(user, workspace):
    from tests.billing.plans import workspace_subscribe

    _limit("free", eu_residency=False)
    workspace_subscribe(workspace, Plan.objects.get(code="business"))
    from mailsoftly.teams.services import workspace_create

    assert workspace_create(owner=user, name="EU too", region="eu").region == "eu"


# ---------------------------------------------------------------- sending


def _server(**extra) -> dict:
    return {
        "name": "Relay",
        "host": "127.0.0.1",
        "port": 2525,
        "security": "none",
        "max_connections": 2,
        "rate_limit_per_second": 0,
        **extra,
    }


def test_an_smtp_server_past_the_pool_limit_is_refused_and_writes_nothing(workspace):
    from mailsoftly.sending import services as sending_services
    from mailsoftly.sending.models import SmtpServer

    sending_services.smtp_server_create(workspace=workspace, **_server())  # Free: 1 pool
    with pytest.raises(LimitExceeded) as caught:
        sending_services.smtp_server_create(workspace=workspace, **_server(name="Second"))
    assert "Free plan allows 1 SMTP pools" in caught.value.message
    assert SmtpServer.objects.for_workspace(workspace).count() == 1


def test_the_server_form_shows_the_pool_message_not_a_500(logged_in_client, workspace):
    from mailsoftly.sending import services as sending_services
    from mailsoftly.sending.models import SmtpServer

    sending_services.smtp_server_create(workspace=workspace, **_server())
    response = logged_in_client.post(reverse("sending:server_create"), _server(name="Second"))
    assert response.status_code == 400
    assert "Free plan allows 1 SMTP pools" in response.content.decode()
    assert SmtpServer.objects.for_workspace(workspace).count() == 1


# ---------------------------------------------------------------- lifecycle (exports)


def test_an_export_format_outside_the_plan_is_refused_and_writes_nothing(user, workspace):
    from mailsoftly.lifecycle import services as lifecycle_services
    from mailsoftly.lifecycle.models import ExportJob

    with pytest.raises(lifecycle_services.ExportError) as caught:
        lifecycle_services.export_request(workspace=workspace, actor=user, format="xlsx")
    assert "Export as XLSX is not included in your Free plan" in str(caught.value)
    assert not ExportJob.objects.for_workspace(workspace).exists()
    job = lifecycle_services.export_request(workspace=workspace, actor=user, format="csv")
    assert job.format == "csv"


def test_the_exports_page_shows_the_format_message_not_a_500(logged_in_client, workspace):
    from mailsoftly.lifecycle.models import ExportJob

    response = logged_in_client.post(reverse("lifecycle:exports"), {"format": "json"})
    assert response.status_code in (200, 400)
    assert "Export as JSON is not included in your Free plan" in response.content.decode()
    assert not ExportJob.objects.for_workspace(workspace).exists()


# ---------------------------------------------------------------- designs


def _html() -> dict:
    from tests.campaigns.helpers import HTML

    return {"source_kind": "html", "source": HTML, "subject": "News"}


def test_ip_collection_needs_a_plan_with_it_and_a_refusal_writes_nothing(user, workspace):
    from mailsoftly.designs import services as design_services
    from mailsoftly.designs.models import Design

    with pytest.raises(LimitExceeded) as caught:
        design_services.design_create(
            workspace=workspace, user=user, name="Tracked", collect_ip_addresses=True, **_html()
        )
    assert "IP address collection is not included in your Free plan" in caught.value.message
    assert not Design.objects.for_workspace(workspace).exists()
    design = design_services.design_create(workspace=workspace, user=user, name="Plain", **_html())
    with pytest.raises(LimitExceeded):
        design_services.design_update(design=design, user=user, collect_ip_addresses=True)
    design.refresh_from_db()
    assert design.collect_ip_addresses is False


def test_the_design_form_shows_the_ip_collection_message_not_a_500(
    logged_in_client, user, workspace
):
    from mailsoftly.designs.models import Design
    from tests.designs.factories import design_form

    logged_in_client.post(reverse("designs:new"), {"start": "blank:html"})
    design = Design.objects.for_workspace(workspace).get()
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, collect_ip_addresses="on")
    )
    assert response.status_code == 200
    assert "IP address collection is not included" in response.content.decode()
    design.refresh_from_db()
    assert design.collect_ip_addresses is False
