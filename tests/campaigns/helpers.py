"""Building blocks for campaign tests: a list of contacts, a design, a campaign."""

from __future__ import annotations

from mailsoftly.campaigns import services
from mailsoftly.contacts import services as contact_services
from mailsoftly.designs.models import Design
from mailsoftly.sending import services as sending_services

HTML = (
    "<html><body><p>Hello {{ contact.first_name | default('friend') }},</p>"
    '<p>Our news for you.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    "</body></html>"
)
TEXT = "Hello {{ contact.first_name | default('friend') }},\n\nUnsubscribe: {{ unsubscribe_url }}\n"


def make_list(workspace, people, name="Newsletter"):
    contact_list = contact_services.contact_list_create(workspace=workspace, name=name)
    contacts = [
        contact_services.contact_create(
            workspace=workspace, email=email, first_name=first, list_ids=[contact_list.pk]
        )
        for email, first in people
    ]
    return contact_list, contacts


def make_design(workspace, subject="News for {{ contact.first_name }}"):
    return Design.objects.for_workspace(workspace).create(
        workspace=workspace,
        name="News",
        subject=subject,
        source_kind="html",
        source=HTML,
        compiled_html=HTML,
        compiled_text=TEXT,
    )


def make_campaign(workspace, contact_list, *, from_email="news@shop.example", **fields):
    sender = sending_services.sender_identity_create(
        workspace=workspace, from_name="Shop News", from_email=from_email
    )
    return services.campaign_create(
        workspace=workspace,
        name="November news",
        design=make_design(workspace),
        sender=sender,
        list_ids=[contact_list.pk],
        **fields,
    )


def people(n, domain="example.org"):
    return [(f"person{i}@{domain}", f"P{i}") for i in range(1, n + 1)]
