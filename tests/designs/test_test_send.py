import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from mailsoftly.designs import services, testsend
from tests.designs.factories import blocks_source, make_design


@pytest.fixture
def sink(smtp_server, settings):
    settings.SENDING_SMTP_URL = smtp_server.url
    return smtp_server


def _design(workspace, user):
    return make_design(
        workspace,
        user,
        subject="Hello {{ contact.first_name }}",
        from_name="Acme News",
        from_email="news@acme.example",
        source=blocks_source({"type": "text", "text": "Hi **{{ contact.first_name }}**"}),
    )


def test_test_send_goes_through_smtp_with_text_and_html(logged_in_client, user, workspace, sink):
    design = _design(workspace, user)
    response = logged_in_client.post(
        reverse("designs:test_send", args=[design.pk]),
        {"recipients": "a@example.com, b@example.com"},
        follow=True,
    )
    assert "Test sent to a@example.com, b@example.com." in response.content.decode()
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["a@example.com", "b@example.com"]
    message = sink.messages[0].message
    assert message["Subject"] == "[TEST] Hello Alex"
    assert message["From"] == "Acme News <news@acme.example>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hi Alex" in text
    assert "<strong>Alex</strong>" in html


def test_empty_recipients_means_own_verified_address(logged_in_client, user, workspace, sink):
    EmailAddress.objects.create(user=user, email="me@example.com", verified=True, primary=True)
    design = _design(workspace, user)
    logged_in_client.post(reverse("designs:test_send", args=[design.pk]), {"recipients": ""})
    assert [m.rcpt_tos for m in sink.messages] == [["me@example.com"]]


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ("1@x.com 2@x.com 3@x.com 4@x.com 5@x.com 6@x.com", "at most 5 addresses"),
        ("not-an-address", "is not a valid email address"),
        ("a@example.com\r\nBcc: victim@example.com", "is not a valid email address"),
    ],
)
def test_bad_recipients_are_refused_and_nothing_is_sent(
    logged_in_client, user, workspace, sink, recipients, message
):
    design = _design(workspace, user)
    response = logged_in_client.post(
        reverse("designs:test_send", args=[design.pk]), {"recipients": recipients}, follow=True
    )
    assert message in response.content.decode()
    assert sink.messages == []


def test_without_a_from_address_the_test_is_refused(logged_in_client, user, workspace, sink):
    design = make_design(workspace, user)
    response = logged_in_client.post(
        reverse("designs:test_send", args=[design.pk]), {"recipients": "a@example.com"}, follow=True
    )
    assert "Set a from address" in response.content.decode()
    assert sink.messages == []


def test_recipient_parsing_dedupes_and_splits():
    parsed = testsend.test_recipients_parse("a@example.com,\n a@example.com; b@example.com")
    assert parsed == ["a@example.com", "b@example.com"]


PHISHING_HTML = (
    "<html><body><p>Dear customer, we noticed unusual activity. Please verify your "
    "account within 24 hours or it will be suspended.</p>"
    '<p><a href="https://account-review.example/login">https://shop.example/account</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)


@pytest.mark.policy("P16")
def test_a_phishing_test_send_is_refused_with_the_reasons_and_nothing_is_sent(
    logged_in_client, user, workspace, sink
):
    design = make_design(
        workspace,
        user,
        subject="Your account",
        from_email="news@acme.example",
        source_kind="html",
        source=PHISHING_HTML,
    )
    response = logged_in_client.post(
        reverse("designs:test_send", args=[design.pk]),
        {"recipients": "a@example.com"},
        follow=True,
    )
    page = response.content.decode()
    # Credential bait behind a disguised link is held for review: refused, with the reasons.
    assert "This email is waiting for a review by our team." in page
    assert "A link shows shop.example but leads to account-review.example." in page
    assert "Test sent" not in page
    assert sink.messages == []


@pytest.mark.policy("P16")
def test_the_test_send_service_refuses_before_connecting(workspace, user, settings):
    # No SMTP server is configured or listening: a refusal must come before any connection.
    settings.SENDING_SMTP_URL = "smtp://127.0.0.1:9"
    design = make_design(
        workspace,
        user,
        subject="Your account",
        from_email="news@acme.example",
        source_kind="html",
        source=PHISHING_HTML,
    )
    with pytest.raises(services.TestSendRefused) as refused:
        services.design_test_send(design=design, recipients=["a@example.com"])
    assert refused.value.decision in ("hold", "block")
    assert any("account-review.example" in reason for reason in refused.value.reasons)
