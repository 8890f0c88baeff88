from hypothesis import given
from hypothesis import strategies as st

from mailsoftly.tracking import tokens


def test_tokens_round_trip():
    click = tokens.click_token(region="eu", delivery_id=123456789, link_id=42)
    assert tokens.read(click, kind="click") == tokens.Target("eu", 123456789, 42)
    opened = tokens.open_token(region="us", delivery_id=7)
    assert tokens.read(opened, kind="open") == tokens.Target("us", 7, None)


def test_a_changed_character_is_rejected():
    token = tokens.click_token(region="us", delivery_id=1000, link_id=5)
    for i in range(len(token)):
        changed = token[:i] + ("a" if token[i] != "a" else "b") + token[i + 1 :]
        assert tokens.read(changed, kind="click") is None


def test_truncated_and_cross_kind_tokens_are_rejected():
    token = tokens.click_token(region="us", delivery_id=1000, link_id=5)
    assert tokens.read(token[:-1], kind="click") is None
    assert tokens.read(token, kind="open") is None
    assert tokens.read(tokens.open_token(region="us", delivery_id=5), kind="click") is None


@given(st.text(max_size=120))
def test_garbage_never_raises(raw):
    # Random text is never a validly signed token, and reading it never raises.
    assert tokens.read(raw, kind="click") is None
    assert tokens.read(raw, kind="open") is None


def test_tokens_in_mail_already_sent_still_verify(settings):
    # Tokens were signed with Django's salted_hmac before its key was cached per kind.
    import base64

    from django.utils.crypto import salted_hmac

    body = "us_2n9c"
    mac = salted_hmac("mailsoftly.tracking.open", body, algorithm="sha256").digest()
    old = f"{body}.{base64.urlsafe_b64encode(mac[:12]).decode().rstrip('=')}"
    assert tokens.read(old, kind="open") == tokens.Target("us", int("2n9c", 36), None)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert tokens.read(old, kind="open") is None
