"""Campaigns with chosen content, for screening tests."""

from __future__ import annotations

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.designs.models import Design
from mailsoftly.sending import services as sending_services

CLEAN_HTML = (
    "<html><body><p>Hello {{ contact.first_name | default('friend') }},</p>"
    "<p>Our garden club met twice this month. We planted tulips, fixed the shed and "
    "shared seeds with the neighbours. Thank you all for helping out.</p>"
    '<p><a href="https://shop.example/news">Read the full story</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)
PHISH_HTML = (
    "<html><body><p>Dear customer, we noticed unusual activity. Please verify your "
    "account within 24 hours or it will be suspended.</p>"
    '<p><a href="https://account-review.example/login">https://shop.example/account</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)
TEXT = "Hello,\n\nOur news.\n\nUnsubscribe: {{ unsubscribe_url }}\n"


def make_campaign(workspace, *, html=CLEAN_HTML, subject="Garden club news", from_email=None):
    from_email = from_email or "news@shop.example"
    design = Design.objects.for_workspace(workspace).create(
        workspace=workspace,
        name="News",
        subject=subject,
        source_kind="html",
        source=html,
        compiled_html=html,
        compiled_text=TEXT,
    )
    sender = sending_services.sender_identity_create(
        workspace=workspace, from_name="Shop", from_email=from_email
    )
    return campaign_services.campaign_create(
        workspace=workspace, name="News", design=design, sender=sender
    )
