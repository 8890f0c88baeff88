"""The consent ledger for cookie choices and third-party sharing (P20, P33, P41)."""

import pytest
from django.urls import reverse

from mailsoftly.accounts.models import AppendOnlyError, ConsentRecord, User
from mailsoftly.accounts.selectors import consent_current, third_party_sharing_accounts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(client):
    user = UserFactory(username="dora", email="dora@example.com")
    client.force_login(user)
    return user


def _choose_cookies(client, choice, **extra):
    return client.post(reverse("accounts:cookie_consent"), {"choice": choice}, **extra)


@pytest.mark.policy("P33", "P20")
def test_a_visitors_cookie_choice_is_recorded_with_time_source_ip_and_text(client):
    _choose_cookies(client, "refuse", REMOTE_ADDR="203.0.113.5")
    record = ConsentRecord.objects.get()
    assert (record.purpose, record.granted, record.source) == ("cookies", False, "cookie_banner")
    assert record.ip_address == "203.0.113.5"
    assert record.recorded_at is not None
    assert "Only essential cookies" in record.consent_text
    assert record.user is None
    # The ledger identifies the visitor by a hash, never by the usable session key.
    assert record.session_ref and record.session_ref != client.session.session_key
    assert consent_current(purpose="cookies", session_ref=record.session_ref) is False


@pytest.mark.policy("P33", "P20")
def test_a_signed_in_cookie_choice_belongs_to_the_account_and_can_change(client, dora):
    _choose_cookies(client, "accept", REMOTE_ADDR="198.51.100.8")
    assert consent_current(user=dora, purpose="cookies") is True
    page = client.get(reverse("accounts:my_account")).content.decode()
    assert "You accepted all cookies." in page
    client.post(
        reverse("accounts:cookie_consent"),
        {"choice": "refuse", "from": "my_account", "next": reverse("accounts:my_account")},
    )
    assert consent_current(user=dora, purpose="cookies") is False
    rows = list(ConsentRecord.objects.filter(user=dora).order_by("id"))
    assert [(r.granted, r.source) for r in rows] == [
        (True, "cookie_banner"),
        (False, "my_account"),
    ]
    assert rows[0].ip_address == "198.51.100.8"


@pytest.mark.policy("P33", "P41")
def test_the_banner_choice_made_before_sign_up_is_carried_to_the_account(
    client, signup, signup_data
):
    _choose_cookies(client, "refuse")
    signup(signup_data, REMOTE_ADDR="192.0.2.14")
    user = User.objects.get(username="alice")
    record = ConsentRecord.objects.get(user=user)
    assert (record.purpose, record.granted, record.source) == ("cookies", False, "signup")
    assert record.ip_address == "192.0.2.14"


@pytest.mark.policy("P20")
def test_third_party_sharing_is_off_until_the_account_opts_in(client, dora):
    page = client.get(reverse("accounts:my_account")).content.decode()
    assert 'name="third_party_sharing"' in page
    assert 'name="third_party_sharing" checked' not in page
    assert consent_current(user=dora, purpose="third_party_sharing") is False
    assert dora not in third_party_sharing_accounts()


@pytest.mark.policy("P20", "P41")
def test_sharing_consent_and_withdrawal_are_ledgered_and_take_effect_at_once(client, dora):
    other = UserFactory(username="eve")
    url = reverse("accounts:my_account")
    response = client.post(
        url, {"section": "sharing", "third_party_sharing": "on"}, REMOTE_ADDR="203.0.113.77"
    )
    assert response.status_code == 302
    assert list(third_party_sharing_accounts()) == [dora]
    granted = ConsentRecord.objects.get(user=dora)
    assert (granted.purpose, granted.granted, granted.source) == (
        "third_party_sharing",
        True,
        "my_account",
    )
    assert granted.ip_address == "203.0.113.77"
    assert "selected partners" in granted.consent_text
    # Saving the same choice again adds nothing; withdrawing applies on the next read.
    client.post(url, {"section": "sharing", "third_party_sharing": "on"})
    assert ConsentRecord.objects.filter(user=dora).count() == 1
    client.post(url, {"section": "sharing"})
    assert list(third_party_sharing_accounts()) == []
    assert other not in third_party_sharing_accounts()
    latest = ConsentRecord.objects.filter(user=dora).first()
    assert (latest.granted, latest.consent_text) == (
        False,
        "Do not share my contact details with partners.",
    )
    assert "Sharing my contact details with partners: no" in client.get(url).content.decode()


@pytest.mark.policy("P20")
def test_a_disabled_account_is_never_shared(client, dora):
    from mailsoftly.accounts.services import third_party_sharing_set, user_disable

    third_party_sharing_set(user=dora, granted=True, source="my_account")
    user_disable(user=dora, reason="test")
    assert list(third_party_sharing_accounts()) == []


@pytest.mark.policy("P20", "P41")
def test_the_ledger_is_append_only(dora):
    from mailsoftly.accounts.services import third_party_sharing_set

    third_party_sharing_set(user=dora, granted=True, source="my_account")
    record = ConsentRecord.objects.get()
    record.granted = False
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(user=dora).update(granted=False)
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(user=dora).delete()
    assert ConsentRecord.objects.get().granted is True
    # Erasing the account (the lifecycle purge) still takes its ledger with it.
    dora.delete()
    assert ConsentRecord.objects.count() == 0
