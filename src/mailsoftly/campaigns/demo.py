"""Demo seeding: a sent campaign in the demo workspace, delivered into the local capture
(never to a real server, even with SMTP_URL set), so its messages show in the UI."""

from __future__ import annotations

from mailsoftly import demo

DEMO_CAMPAIGN = "Spring newsletter (demo)"
DEMO_SENDER = "news@demo.mailsoftly.example"


@demo.step
def seed_campaign(*, workspace, user) -> None:
    from django.db import transaction

    from mailsoftly.campaigns import services
    from mailsoftly.campaigns.models import Campaign
    from mailsoftly.campaigns.tasks import campaign_run
    from mailsoftly.contacts.models import ContactList
    from mailsoftly.designs.models import Design
    from mailsoftly.sending.messengers import CaptureMessenger
    from mailsoftly.sending.models import SenderIdentity
    from mailsoftly.sending.services import dkim_key_generate, sender_identity_create

    if Campaign.all_rows.for_workspace(workspace).filter(name=DEMO_CAMPAIGN).exists():
        return
    design = Design.objects.for_workspace(workspace).order_by("id").first()
    contact_list = ContactList.objects.for_workspace(workspace).order_by("id").first()
    if design is None or contact_list is None or not design.subject:
        return  # the contacts and designs steps did not run: nothing to send
    sender = SenderIdentity.objects.for_workspace(workspace).filter(from_email=DEMO_SENDER).first()
    if sender is None:
        sender = sender_identity_create(
            workspace=workspace, from_name="Mailsoftly demo", from_email=DEMO_SENDER
        )
        dkim_key_generate(workspace=workspace, domain=DEMO_SENDER.split("@")[1], selector="demo")
    campaign = services.campaign_create(
        workspace=workspace,
        name=DEMO_CAMPAIGN,
        design=design,
        sender=sender,
        list_ids=[contact_list.pk],
        created_by=user,
    )
    # Started without the worker: the seed sends inline, into the capture.
    with transaction.atomic(using=workspace.database):
        services.campaign_send(campaign=campaign, enqueue=False)
    campaign.refresh_from_db()
    campaign.workspace = workspace
    campaign_run(
        campaign=campaign,
        messenger=CaptureMessenger(workspace=workspace, campaign_id=campaign.pk),
    )
