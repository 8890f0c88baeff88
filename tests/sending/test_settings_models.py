"""SMTP servers, sender identities, DKIM keys and the regional capture."""

from __future__ import annotations

import dkim as dkimpy
import pytest
from django.db import connections

from mailsoftly.sending import selectors, services
from mailsoftly.sending.messengers import CaptureMessenger, Outcome
from mailsoftly.sending.mime import Skeleton
from mailsoftly.sending.models import CapturedMessage, DkimKey, SmtpServer


def _raw_column(model, pk, column, database="default") -> str:
    with connections[database].cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.mark.policy("P04")
def test_smtp_password_is_encrypted_at_rest(workspace):
    server = services.smtp_server_create(
        workspace=workspace, name="Relay", host="smtp.example.com", password="hunter2-secret"
    )
    stored = _raw_column(SmtpServer, server.pk, "password")
    assert "hunter2-secret" not in stored
    assert SmtpServer.objects.for_workspace(workspace).get().password == "hunter2-secret"


@pytest.mark.policy("P04")
def test_dkim_private_key_is_encrypted_at_rest_and_signs(workspace):
    key = services.dkim_key_generate(workspace=workspace, domain="News.Example.com", selector="s1")
    stored = _raw_column(DkimKey, key.pk, "private_key")
    assert "PRIVATE KEY" not in stored
    key = DkimKey.objects.for_workspace(workspace).get()
    assert key.domain == "news.example.com"
    assert key.dns_name == "s1._domainkey.news.example.com"
    assert key.dns_value.startswith("v=DKIM1; k=rsa; p=")
    skeleton = Skeleton(
        from_name="News",
        from_email="a@news.example.com",
        list_id="l <l.x>",
        feedback_id="f",
        signers=(key.signer(),),
    )
    envelope = skeleton.build(
        key=1,
        to_name="",
        to_email="b@example.org",
        subject="s",
        text="t",
        html="<p>h</p>",
        message_id="<1@news.example.com>",
        unsubscribe_url="https://x.example/u",
    )
    assert dkimpy.verify(envelope.data, dnsfunc=lambda name, timeout=5: key.dns_value.encode())


@pytest.mark.parametrize(
    ("domain", "selector", "algorithm"),
    [("not a domain", "s1", "rsa"), ("example.com", "bad selector!", "rsa"), ("x.com", "", "dsa")],
)
def test_dkim_key_generate_rejects_bad_input_without_writing(
    workspace, domain, selector, algorithm
):
    with pytest.raises(ValueError):
        services.dkim_key_generate(
            workspace=workspace, domain=domain, selector=selector, algorithm=algorithm
        )
    assert not DkimKey.objects.for_workspace(workspace).exists()


@pytest.mark.usefixtures("unlimited_plan")  # three servers: more pools than the Free plan has
def test_only_one_default_smtp_server(workspace):
    first = services.smtp_server_create(
        workspace=workspace, name="A", host="a.example.com", is_default=True
    )
    second = services.smtp_server_create(
        workspace=workspace, name="B", host="b.example.com", is_default=True
    )
    first.refresh_from_db()
    assert not first.is_default
    assert selectors.smtp_server_default(workspace=workspace) == second


def test_update_without_password_keeps_the_stored_one(workspace):
    server = services.smtp_server_create(
        workspace=workspace, name="A", host="a.example.com", password="keep-me"
    )
    services.smtp_server_update(server=server, host="b.example.com")
    server = SmtpServer.objects.for_workspace(workspace).get()
    assert (server.host, server.password) == ("b.example.com", "keep-me")


def _envelope(key=1, to="ann@example.org"):
    skeleton = Skeleton(
        from_name="EU", from_email="a@eu.example", list_id="l <l.x>", feedback_id="f"
    )
    return skeleton.build(
        key=key,
        to_name="Ann",
        to_email=to,
        subject="Grüße",
        text="t",
        html="<p>h</p>",
        message_id=f"<{key}@eu.example>",
        unsubscribe_url="https://x.example/u",
    )


@pytest.mark.policy("P40")
def test_captured_campaign_mail_of_an_eu_workspace_stays_in_the_eu_database(eu_workspace):
    messenger = CaptureMessenger(workspace=eu_workspace, campaign_id=5)
    messenger.push(_envelope())
    (result,) = messenger.flush()
    assert result.outcome == Outcome.SENT
    captured = CapturedMessage.objects.for_workspace(eu_workspace).get()
    assert captured.subject == "Grüße"
    assert captured.message()["To"].addresses[0].addr_spec == "ann@example.org"
    assert CapturedMessage.objects.using("eu").count() == 1
    assert CapturedMessage.objects.using("default").count() == 0


@pytest.mark.policy("P01", "P02")
def test_captured_mail_is_only_visible_in_its_own_workspace(workspace, eu_workspace, user):
    from mailsoftly.teams.services import workspace_create

    other = workspace_create(owner=user, name="Other")
    CaptureMessenger(workspace=workspace).push(_envelope())
    messenger = CaptureMessenger(workspace=workspace)
    messenger.push(_envelope())
    messenger.flush()
    assert selectors.captured_message_list(workspace=workspace).count() == 1
    assert selectors.captured_message_list(workspace=other).count() == 0
