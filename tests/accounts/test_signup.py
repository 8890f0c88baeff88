"""Sign-up: what it asks, what it records, and what it refuses."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from mailsoftly.accounts.models import MarketingConsent, PolicyAcceptance, User
from mailsoftly.core.models import OutboxMessage
from mailsoftly.teams.models import Membership, Role

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return (
        User.objects.count() == 0
        and PolicyAcceptance.objects.count() == 0
        and MarketingConsent.objects.count() == 0
        and EmailAddress.objects.count() == 0
        and Membership.objects.count() == 0
    )


@pytest.mark.policy("P05")
def test_signup_form_asks_for_username_email_and_password(client):
    page = client.get(reverse("account_signup")).content.decode()
    for name in ("username", "email", "password1", "password2", "age_confirmed", "accept_privacy"):
        assert f'name="{name}"' in page
    # The marketing box is there and not ticked.
    assert 'name="marketing_opt_in" id="id_marketing_opt_in">' in page


@pytest.mark.argon2
@pytest.mark.policy("P04", "P05", "P41", "P19")
def test_signup_creates_account_with_recorded_policy_acceptance(signup, signup_data):
    response = signup(signup_data, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.username == "alice"
    assert user.password.startswith("argon2$")
    acceptance = PolicyAcceptance.objects.get(user=user)
    assert acceptance.policy_version == "2026-11-25"
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.accepted_at is not None
    # Not ticking the marketing box is recorded too, as a refusal.
    consent = MarketingConsent.objects.get(user=user)
    assert consent.granted is False
    assert consent.source == "signup"
    assert consent.ip_address == "203.0.113.7"
    assert user.marketing_opt_in is False


@pytest.mark.policy("P19")
def test_marketing_opt_in_is_recorded_in_the_ledger(signup, signup_data):
    signup({**signup_data, "marketing_opt_in": "on"}, REMOTE_ADDR="198.51.100.4")
    user = User.objects.get()
    assert user.marketing_opt_in is True
    consent = MarketingConsent.objects.get(user=user)
    assert (consent.granted, consent.source, consent.ip_address) == (True, "signup", "198.51.100.4")
    assert consent.consent_text


def test_signup_creates_personal_workspace_with_user_as_primary_admin(signup, signup_data):
    signup(signup_data)
    membership = Membership.objects.select_related("workspace").get(user__username="alice")
    assert membership.role == Role.PRIMARY_ADMIN
    assert membership.workspace.is_personal


@pytest.mark.policy("P18")
def test_welcome_mail_is_sent_without_marketing_consent(
    signup, signup_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(signup_data)  # marketing box left unticked
    welcome = [m for m in mail.outbox if m.subject == "Welcome to Mailsoftly"]
    assert len(welcome) == 1
    assert welcome[0].to == ["alice@example.com"]
    body = welcome[0].body.lower()
    for word in ("offer", "discount", "upgrade", "newsletter", "promotion"):
        assert word not in body


def test_email_verification_is_mandatory(client, signup, signup_data):
    response = signup(signup_data)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not EmailAddress.objects.get().verified
    assert any("confirm" in m.subject.lower() for m in mail.outbox)
    # Signing in before verifying does not give a session.
    response = client.post(
        reverse("account_login"), {"login": "alice", "password": signup_data["password1"]}
    )
    assert "_auth_user_id" not in client.session


@pytest.mark.policy("P34")
def test_under_13_creates_and_stores_nothing(client, signup, signup_data):
    data = dict(signup_data)
    del data["age_confirmed"]
    response = signup(data)
    assert response.status_code == 200
    assert "not for children under 13" in response.content.decode()
    assert _nothing_stored()
    assert mail.outbox == []
    assert "alice" not in str(dict(client.session))


@pytest.mark.policy("P41")
def test_privacy_policy_must_be_accepted(signup, signup_data):
    data = dict(signup_data)
    del data["accept_privacy"]
    response = signup(data)
    assert response.status_code == 200
    assert 'id="id_accept_privacy-errors"' in response.content.decode()
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("existing", "attempt"),
    [
        ("alice", "ALICE"),
        ("alice", "\uff41\uff4c\uff49\uff43\uff45"),  # full-width look-alike
        ("strasse", "STRAßE"),  # casefold: ß == ss
    ],
)
def test_duplicate_username_is_refused_next_to_the_field(signup, signup_data, existing, attempt):
    from tests.factories import UserFactory

    UserFactory(username=existing, email="someone@example.com")
    response = signup({**signup_data, "username": attempt})
    assert response.status_code == 200
    assert 'id="id_username-errors"' in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "attempt", ["ALICE@EXAMPLE.COM", "\uff41\uff4c\uff49\uff43\uff45@example.com"]
)
def test_duplicate_email_is_refused_next_to_the_field(signup, signup_data, attempt):
    from tests.factories import UserFactory

    UserFactory(username="other", email="alice@example.com")
    response = signup({**signup_data, "email": attempt})
    assert response.status_code == 200
    assert 'id="id_email-errors"' in response.content.decode()
    assert User.objects.count() == 1


def test_weak_password_is_refused(signup, signup_data):
    response = signup({**signup_data, "password1": "password", "password2": "password"})
    assert response.status_code == 200
    assert 'id="id_password1-errors"' in response.content.decode()
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "bob\r\nBcc: victim@example.com"),
        ("email", "bob@example.com\r\nBcc: victim@example.com"),
        ("email", "bob@example.com\nBcc: victim@example.com"),
    ],
)
def test_header_injection_is_rejected(signup, signup_data, field, value):
    response = signup({**signup_data, field: value})
    assert response.status_code == 200
    assert f'id="id_{field}-errors"' in response.content.decode()
    assert _nothing_stored()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "a" * 5000),
        ("email", "a" * 5000 + "@example.com"),
        ("password1", "x" * 100_000),
    ],
)
def test_very_long_values_get_a_clear_message(signup, signup_data, field, value):
    data = {**signup_data, field: value}
    if field == "password1":
        data["password2"] = value
    response = signup(data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}-errors"' in page
    assert "too long" in page
    assert _nothing_stored()


@pytest.mark.policy("P11")
def test_first_touch_referrer_and_utm_are_stored_on_the_account(client, signup, signup_data):
    client.get(
        "/accounts/signup/?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
        HTTP_REFERER="https://blog.example.org/post",
    )
    # A later visit with other parameters does not replace the first touch.
    client.get("/accounts/signup/?utm_source=other", HTTP_REFERER="https://elsewhere.example/")
    signup(signup_data)
    user = User.objects.get()
    assert user.first_touch_referrer == "https://blog.example.org/post"
    assert (user.utm_source, user.utm_medium, user.utm_campaign) == (
        "newsletter",
        "email",
        "launch",
    )
    assert user.first_touch_landing.startswith("/accounts/signup/")
    assert user.first_touch_at is not None


def test_own_pages_are_not_a_referral(client, signup, signup_data):
    client.get("/accounts/signup/", HTTP_REFERER="http://testserver/accounts/login/")
    signup(signup_data)
    user = User.objects.get()
    assert user.first_touch_referrer == ""
    assert user.first_touch_at is None


def test_welcome_mail_reaches_the_outbox_in_the_embedded_default(
    settings, signup, signup_data, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "mailsoftly.core.mail.OutboxBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        signup(signup_data)
    assert OutboxMessage.objects.filter(subject="Welcome to Mailsoftly").count() == 1


@pytest.mark.policy("P41", "P35")
def test_signup_links_the_policy_it_records_the_version_of(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'href="/account/privacy/"' in page
    policy = client.get("/account/privacy/")
    assert policy.status_code == 200
    text = policy.content.decode()
    assert "Version 2026-11-25" in text
    assert "English version is authoritative" in text
    assert "<h2" in text and "<li>" in text


def _publish(kind: str, version: str, *, days_ago: int):
    from datetime import timedelta

    from mailsoftly.core import clock
    from mailsoftly.ops.models import PolicyVersion

    at = clock.now() - timedelta(days=days_ago)
    return PolicyVersion.objects.create(
        kind=kind, version=version, body="# Policy", effective_at=at, published_at=at
    )


@pytest.mark.policy("P41", "P32")
def test_signup_records_the_policy_version_in_effect(client, signup, signup_data):
    _publish("privacy", "2027-01", days_ago=30)
    _publish("privacy", "2027-03", days_ago=2)  # the newest in effect wins
    _publish("terms", "2027-04", days_ago=1)  # terms are not what the box accepts
    future = _publish("privacy", "2027-09", days_ago=-10)  # published, not yet in effect
    signup(signup_data, REMOTE_ADDR="203.0.113.9")
    acceptance = PolicyAcceptance.objects.get(user__username="alice")
    assert acceptance.policy_version == "2027-03"
    assert acceptance.policy_version != future.version
    assert acceptance.ip_address == "203.0.113.9"
    # The sign-up page's policy link leads to the version being recorded.
    response = client.get("/account/privacy/")
    assert response.status_code == 302
    assert response["Location"] == reverse("ops:policy", args=["privacy"])
    assert "2027-03" in client.get(response["Location"]).content.decode()


@pytest.mark.policy("P41")
def test_signup_falls_back_to_the_built_in_version_before_any_is_published(
    signup, signup_data, settings
):
    settings.PRIVACY_POLICY_VERSION = "builtin-7"
    _publish("terms", "2027-04", days_ago=1)
    signup(signup_data)
    assert PolicyAcceptance.objects.get(user__username="alice").policy_version == "builtin-7"


@pytest.mark.policy("P16")
def test_signup_is_recorded_for_screening(signup, signup_data):
    from mailsoftly.screening.models import AccountRisk, SignupRecord

    signup(signup_data, REMOTE_ADDR="198.51.100.23")
    user = User.objects.get()
    record = SignupRecord.objects.get(user_id=user.pk)
    workspace = Membership.objects.get(user=user).workspace
    assert record.workspace_id == workspace.pk
    assert (record.ip, record.ip_prefix) == ("198.51.100.23", "198.51.100.0/24")
    assert record.email_domain == "example.com"
    assert AccountRisk.objects.filter(workspace=workspace).exists()


@pytest.mark.policy("P16")
def test_many_signups_from_one_address_raise_the_new_workspace_risk(signup, signup_data):
    from mailsoftly.screening.models import AccountRisk

    for n in range(5):
        data = {**signup_data, "username": f"farm{n}", "email": f"farm{n}@example.com"}
        assert signup(data, REMOTE_ADDR="192.0.2.50").status_code == 302
    last = Membership.objects.get(user__username="farm4").workspace
    risk = AccountRisk.objects.get(workspace=last)
    assert "signup_ip_velocity" in risk.signals
    assert risk.score > 0
