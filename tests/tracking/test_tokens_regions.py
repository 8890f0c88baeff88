"""Tracking tokens name any configured region; tokens of the first (us/eu) format still read."""

import pytest

from mailsoftly.tracking import tokens


def _legacy(kind: str, code: str, delivery_id: int, link_id: int | None = None) -> str:
    """A token exactly as the first format issued it: one-letter region code, no separator."""
    body = f"{code}{tokens._b36(delivery_id)}"
    if link_id is not None:
        body += f".{tokens._b36(link_id)}"
    return f"{body}.{tokens._sig(kind, body)}"


def test_a_third_configured_region_round_trips(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "ch"]
    click = tokens.click_token(region="ch", delivery_id=2 * 10**12 + 5, link_id=9)
    assert tokens.read(click, kind="click") == tokens.Target("ch", 2 * 10**12 + 5, 9)
    opened = tokens.open_token(region="ch", delivery_id=77)
    assert tokens.read(opened, kind="open") == tokens.Target("ch", 77, None)


def test_the_codec_takes_an_injected_region_list():
    token = tokens.open_token(region="jp", delivery_id=123)
    assert tokens.read(token, kind="open", regions=("us", "jp")) == tokens.Target("jp", 123)
    # A region this installation does not configure (any more) reads as nothing, not a 500.
    assert tokens.read(token, kind="open", regions=("us", "eu")) is None


def test_new_tokens_carry_the_region_name():
    assert tokens.open_token(region="eu", delivery_id=35).startswith("eu_z.")
    assert tokens.click_token(region="us", delivery_id=36, link_id=1).startswith("us_10.1.")


@pytest.mark.parametrize(("code", "region"), [("u", "us"), ("e", "eu")])
def test_tokens_issued_in_the_first_format_still_verify(code, region):
    assert tokens.read(_legacy("open", code, 4242), kind="open") == tokens.Target(region, 4242)
    click = _legacy("click", code, 10**12 + 1, 31)
    assert tokens.read(click, kind="click") == tokens.Target(region, 10**12 + 1, 31)
    # The signature still binds the kind and every character.
    assert tokens.read(click, kind="open") is None
    assert tokens.read(click[:-1] + ("A" if click[-1] != "A" else "B"), kind="click") is None


def test_a_legacy_code_that_never_existed_is_refused():
    assert tokens.read(_legacy("open", "x", 5), kind="open") is None


@pytest.mark.parametrize("bad", ["USA", "U", "u1", "Eu", "é1", ""])
def test_issuing_for_a_malformed_region_name_is_refused(bad):
    with pytest.raises(ValueError, match="region name"):
        tokens.open_token(region=bad, delivery_id=1)


def test_a_new_token_with_a_changed_region_is_rejected(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "ch"]
    token = tokens.click_token(region="ch", delivery_id=1000, link_id=5)
    assert tokens.read("eu" + token[2:], kind="click") is None
    assert tokens.read("c" + token[3:], kind="click") is None
