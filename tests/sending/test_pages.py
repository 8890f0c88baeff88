"""The sending settings pages: SMTP servers with a test send, senders, DKIM keys."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailsoftly.sending.models import DkimKey, SenderIdentity, SmtpServer


def test_add_server_then_send_test_reaches_the_smtp_server(
    logged_in_client, workspace, smtp_server
):
    response = logged_in_client.post(
        reverse("sending:server_create"),
        {
            "name": "Relay",
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "none",
            "max_connections": 2,
            "rate_limit_per_second": 0,
            "password": "s3cret",
        },
    )
    assert response.status_code == 302
    server = SmtpServer.objects.for_workspace(workspace).get()
    assert server.password == "s3cret"
    page = logged_in_client.get(reverse("sending:settings")).content.decode()
    assert "s3cret" not in page  # the password is never echoed
    response = logged_in_client.post(
        reverse("sending:server_test", args=[server.pk]),
        {"to_email": "me@example.org", "from_email": "shop@shop.example"},
        follow=True,
    )
    assert "accepted the test message" in response.content.decode()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["me@example.org"]]


def test_edit_without_password_keeps_it_and_bad_port_is_shown_next_to_the_field(
    logged_in_client, workspace
):
    from mailsoftly.sending.services import smtp_server_create

    server = smtp_server_create(workspace=workspace, name="R", host="h.example", password="keep")
    url = reverse("sending:server_edit", args=[server.pk])
    fields = {"name": "R2", "host": "h.example", "security": "tls", "max_connections": 4}
    response = logged_in_client.post(url, {**fields, "port": 70000, "rate_limit_per_second": 0})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert SmtpServer.objects.for_workspace(workspace).get().name == "R"
    logged_in_client.post(url, {**fields, "port": 465, "rate_limit_per_second": 0})
    server = SmtpServer.objects.for_workspace(workspace).get()
    assert (server.name, server.port, server.password) == ("R2", 465, "keep")


def test_generate_dkim_key_shows_dns_records(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("sending:dkim_create"),
        {"domain": "shop.example", "selector": "mail", "algorithm": "rsa"},
        follow=True,
    )
    key = DkimKey.objects.for_workspace(workspace).get()
    page = response.content.decode()
    assert "mail._domainkey.shop.example" in page
    assert key.public_key in page
    assert "_dmarc.shop.example" in page
    assert "PRIVATE KEY" not in page
    bad = logged_in_client.post(
        reverse("sending:dkim_create"), {"domain": "not a domain", "algorithm": "rsa"}
    )
    assert bad.status_code == 400
    assert "Enter a domain name" in bad.content.decode()


def test_dns_check_reads_the_records_back(logged_in_client, workspace, monkeypatch):
    from mailsoftly.sending import dns_check, services

    key = services.dkim_key_generate(workspace=workspace, domain="shop.example", selector="s1")
    published = {"s1._domainkey.shop.example": [key.dns_value], "shop.example": ["v=spf1 mx -all"]}
    monkeypatch.setattr(dns_check, "txt_lookup", lambda name: published.get(name, []))
    page = logged_in_client.post(reverse("sending:dkim_check", args=[key.pk])).content.decode()
    assert page.count("Not found") == 1  # DMARC is missing; DKIM and SPF are there
    assert page.count(">Found<") == 2


def test_add_sender(logged_in_client, workspace):
    logged_in_client.post(
        reverse("sending:identity_create"),
        {"from_name": "Shop", "from_email": "news@shop.example"},
    )
    assert SenderIdentity.objects.for_workspace(workspace).get().domain == "shop.example"
    bad = logged_in_client.post(
        reverse("sending:identity_create"), {"from_name": "X", "from_email": "nope"}
    )
    assert bad.status_code == 400


@pytest.mark.policy("P04")
def test_members_who_are_not_admins_cannot_see_sending_settings(client, workspace):
    from mailsoftly.teams.models import Membership, Role
    from tests.factories import UserFactory

    member = UserFactory()
    Membership.objects.create(user=member, workspace=workspace, role=Role.MEMBER)
    client.force_login(member)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    assert client.get(reverse("sending:settings")).status_code == 403
