"""Sent email exported as EML files and as one mbox per campaign (policy P25), by plan."""

from __future__ import annotations

import email
import email.policy
import email.utils
import io
import mailbox
import zipfile

import pytest

from mailsoftly.billing.models import Plan
from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Campaign, Delivery, DeliveryStatus
from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.models import ExportJob, ExportStatus
from mailsoftly.sending.models import CapturedMessage
from tests.billing.plans import workspace_subscribe
from tests.campaigns.helpers import make_campaign, make_list


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(workspace, **kwargs):
        with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
            job = services.export_request(workspace=workspace, **kwargs)
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def sent_campaign(workspace, unlimited_plan, django_capture_on_commit_callbacks):
    """A campaign sent to Ann and Bo into the local capture (no SMTP server configured)."""
    contact_list, _contacts = make_list(
        workspace, [("ann@example.org", "Ann"), ("bo@example.org", "Bo")]
    )
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    sent = Delivery.objects.for_workspace(workspace).filter(status=DeliveryStatus.SENT)
    assert sent.count() == 2
    return Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)


def _archive(job: ExportJob) -> zipfile.ZipFile:
    assert job.status == ExportStatus.DONE, job.error
    with job.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def _captured(workspace) -> dict[str, email.message.EmailMessage]:
    return {c.rcpt_to: c.message() for c in CapturedMessage.objects.for_workspace(workspace).all()}


@pytest.mark.policy("P25")
def test_each_sent_email_is_an_eml_file_as_it_was_sent(
    workspace, user, sent_campaign, run_on_commit
):
    job = run_on_commit(workspace, actor=user, format="eml")

    archive = _archive(job)
    assert job.file.name.endswith(".eml.zip")
    names = sorted(n for n in archive.namelist() if n.endswith(".eml"))
    deliveries = Delivery.objects.for_workspace(workspace).order_by("pk")
    assert names == sorted(f"campaign-{sent_campaign.pk}/{d.pk}.eml" for d in deliveries)
    assert "no DKIM signature" in archive.read("README.txt").decode()
    captured = _captured(workspace)
    for delivery in deliveries:
        exported = email.message_from_bytes(
            archive.read(f"campaign-{sent_campaign.pk}/{delivery.pk}.eml"),
            policy=email.policy.default,
        )
        original = captured[delivery.email]
        for header in ("Message-ID", "Subject", "To", "From", "List-Unsubscribe"):
            assert exported[header] == original[header], header
        assert exported.get_body(("plain",)).get_content() == (
            original.get_body(("plain",)).get_content()
        )
        assert email.utils.parsedate_to_datetime(exported["Date"]) == delivery.sent_at.replace(
            microsecond=0
        )
        assert exported["DKIM-Signature"] is None
    ann = email.message_from_bytes(
        archive.read(f"campaign-{sent_campaign.pk}/{deliveries[0].pk}.eml"),
        policy=email.policy.default,
    )
    assert ann["Subject"] == "News for Ann"


@pytest.mark.policy("P25")
def test_a_campaign_is_one_mbox_that_mail_programs_can_read(
    workspace, user, sent_campaign, run_on_commit, tmp_path
):
    job = run_on_commit(workspace, actor=user, format="mbox")

    archive = _archive(job)
    name = f"campaign-{sent_campaign.pk}.mbox"
    assert name in archive.namelist()
    path = tmp_path / name
    path.write_bytes(archive.read(name))
    box = mailbox.mbox(str(path), create=False)
    messages = list(box)
    assert sorted(m["Subject"] for m in messages) == ["News for Ann", "News for Bo"]
    assert all(m.get_from().startswith("news@shop.example ") for m in messages)
    captured = _captured(workspace)
    assert {m["Message-ID"] for m in messages} == {c["Message-ID"] for c in captured.values()}
    box.close()


@pytest.mark.policy("P25", "P27")
def test_trashed_campaigns_and_recipients_are_not_exported(
    workspace, user, sent_campaign, run_on_commit
):
    Contact.objects.for_workspace(workspace).filter(email="bo@example.org").move_to_trash(
        by_user_id=user.pk
    )
    archive = _archive(run_on_commit(workspace, actor=user, format="eml"))
    exported = [archive.read(n) for n in archive.namelist() if n.endswith(".eml")]
    assert len(exported) == 1 and b"bo@example.org" not in exported[0]

    campaign_services.campaign_trash(campaign=sent_campaign, by_user_id=user.pk)
    archive = _archive(run_on_commit(workspace, actor=user, format="mbox"))
    assert archive.namelist() == ["README.txt"]


@pytest.mark.policy("P25")
@pytest.mark.parametrize(
    ("plan_code", "allowed"), [("free", False), ("pro", False), ("business", True)]
)
def test_eml_and_mbox_exports_follow_the_plan(workspace, user, plan_code, allowed):
    from mailsoftly.billing import selectors

    selectors.plan_list()  # the default plans, as a fresh installation has them
    workspace_subscribe(workspace, Plan.objects.get(code=plan_code))
    for chosen in ("eml", "mbox"):
        if allowed:
            job = services.export_request(workspace=workspace, actor=user, format=chosen)
            assert job.format == chosen
        else:
            with pytest.raises(services.ExportError, match=chosen.upper()) as refused:
                services.export_request(workspace=workspace, actor=user, format=chosen)
            assert "Business" in str(refused.value)
    expected = 2 if allowed else 0
    assert ExportJob.objects.for_workspace(workspace).count() == expected


def test_the_exports_page_offers_eml_and_mbox(logged_in_client, unlimited_plan):
    from django.urls import reverse

    page = logged_in_client.get(reverse("lifecycle:exports")).content.decode()
    assert 'value="eml"' in page and 'value="mbox"' in page
