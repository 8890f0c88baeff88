"""Bounces name their delivery's region by any configured region name, not only us/eu."""

from mailsoftly.sending import bounces
from tests.sending.test_bounces import arf, dsn


def _original(*, header: str = "", message_id: str = "<ab.1.2@other.example>") -> bytes:
    lines = [
        "From: news@shop.example",
        "To: ann@example.org",
        f"Message-ID: {message_id}",
        *([header] if header else []),
        "Subject: x",
        "",
        "body",
    ]
    return "\r\n".join(lines).encode() + b"\r\n"


def test_our_header_with_a_third_configured_region(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "ch"]
    result = bounces.parse(
        dsn(original=_original(header="X-Mailsoftly-Delivery: ch.2000000000007"))
    )
    assert (result.region, result.delivery_id) == ("ch", 2000000000007)


def test_message_id_with_a_third_configured_region(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "jp"]
    result = bounces.parse(dsn(original=_original(message_id="<JP.12.3000000000099@shop.example>")))
    assert (result.region, result.delivery_id) == ("jp", 3000000000099)


def test_complaint_with_a_third_configured_region(settings):
    settings.MAILSOFTLY_REGIONS = ["eu", "ch"]
    result = bounces.parse(arf(original=_original(header="X-Mailsoftly-Delivery: ch.5")))
    assert (result.kind, result.region, result.delivery_id) == (bounces.COMPLAINT, "ch", 5)


def test_a_region_this_installation_does_not_configure_is_not_ours(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu"]
    result = bounces.parse(
        dsn(
            original=_original(
                header="X-Mailsoftly-Delivery: ch.5", message_id="<ab.1.2@x.example>"
            )
        )
    )
    assert (result.region, result.delivery_id) == (None, None)


def test_a_look_alike_message_id_is_skipped_for_ours(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "ch"]
    original = _original(
        message_id="<zz.1.2@other.example>",
        header="References: <ch.4.2000000000011@shop.example>",
    )
    result = bounces.parse(dsn(original=original))
    assert (result.region, result.delivery_id) == ("ch", 2000000000011)
