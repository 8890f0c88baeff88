"""Envelope, MIME, obfuscation and wording signals, each on a small crafted message (P16)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsoftly.screening.content import Content, Decision, screen_content, wording
from mailsoftly.screening.content.eml import content_from_message
from mailsoftly.screening.content.phrases import spam_phrase_hits
from mailsoftly.screening.content.weights import WEIGHTS

pytestmark = pytest.mark.policy("P16")

BODY = (
    "Hi Ann, the minutes from Tuesday's committee meeting are attached below. We agreed "
    "to move the book sale to the first weekend of June and Tom will ask the library."
)
CLEAN_HEADERS = {
    "From": "Bob Smith <bob@club.example>",
    "To": "Ann <ann@club.example>",
    "Subject": "Minutes from Tuesday",
    "Date": "Tue, 04 Jun 2024 10:15:00 +0100",
    "Message-ID": "<20240604101500.1234@club.example>",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=utf-8",
    "Received": "from mx.club.example by mail.example; Tue, 04 Jun 2024 09:15:05 +0000",
}


def eml(body: str = BODY, drop: tuple[str, ...] = (), **headers: str) -> bytes:
    merged = {**CLEAN_HEADERS, **{k.replace("_", "-"): v for k, v in headers.items()}}
    lines = [f"{k}: {v}" for k, v in merged.items() if k not in drop]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def codes(raw: bytes) -> list[str]:
    return screen_content(content_from_message(raw)).codes


def test_an_ordinary_personal_message_raises_nothing():
    verdict = screen_content(content_from_message(eml()))
    assert verdict.decision == Decision.PASS and verdict.codes == [], verdict.to_dict()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (eml(drop=("Date",)), "date_missing"),
        (eml(Date="sometime last week"), "date_invalid"),
        (eml(Date="Tue, 04 Jun 2024 10:15:00"), "date_no_zone"),
        (eml(Date="Fri, 07 Jun 2024 10:15:00 +0000"), "date_future"),
        (eml(Date="Mon, 06 May 2024 10:15:00 +0000"), "date_past"),
        (eml(drop=("Message-ID",)), "msgid_missing"),
        (eml(Message_ID="1234567"), "msgid_invalid"),
        (eml(To="undisclosed-recipients:;"), "to_undisclosed"),
        (eml(To=", ".join(f"p{i}@club.example" for i in range(12))), "to_many"),
        (eml(From='"bob@club.example"@relay.example'), "from_malformed"),
        (eml(From='"support@bank.example" <x@other.example>'), "from_name_address"),
        (eml(From="BEST DEALS ONLINE <x@club.example>"), "from_name_caps"),
        (eml(Subject="Re: your order"), "fake_reply"),
        (eml(X_Priority="1 (Highest)"), "high_priority"),
        (eml(X_Mailer="Super Mass Mailer 3.1"), "bulk_mailer"),
        (
            eml(Subject="=?utf-8?B?" + base64.b64encode(b"Minutes").decode() + "?="),
            "subject_encoded",
        ),
        (eml(From="Friend <friend@hotmail.com>"), "forged_freemail"),
        (eml(Reply_To="claims@yahoo.com"), "reply_to_freemail"),
    ],
)
def test_each_envelope_signal_fires_on_its_own(raw, code):
    found = codes(raw)
    assert code in found, found
    # Nothing else fires, apart from the From-at-a-freemail-provider signal it implies.
    assert set(found) - {code, "freemail_from"} == set(), found


def test_a_freemail_from_that_passed_its_providers_servers_is_not_forged():
    raw = eml(
        From="Ann <ann@hotmail.com>",
        Received="from mail.hotmail.com by mx.example; Tue, 04 Jun 2024 09:15:05 +0000",
    )
    assert "forged_freemail" not in codes(raw)


def test_a_real_reply_is_not_a_fake_reply():
    raw = eml(Subject="Re: Minutes", In_Reply_To="<1@club.example>")
    assert "fake_reply" not in codes(raw)


def test_an_encoded_subject_with_real_non_ascii_text_is_fine():
    subject = "=?utf-8?B?" + base64.b64encode("Protokoll für Dienstag".encode()).decode() + "?="
    assert "subject_encoded" not in codes(eml(Subject=subject))


def test_plain_text_hidden_in_base64_is_a_signal():
    encoded = base64.b64encode(BODY.encode()).decode()
    raw = eml(encoded, Content_Transfer_Encoding="base64")
    assert "base64_text" in codes(raw)


def test_a_multipart_without_a_boundary_is_broken_mime():
    assert "mime_defects" in codes(eml("hi", Content_Type="multipart/mixed"))


def test_a_multipart_without_mime_version_is_a_signal():
    body = "--x\r\nContent-Type: text/plain\r\n\r\n" + BODY + "\r\n--x--"
    raw = eml(body, drop=("MIME-Version",), Content_Type='multipart/mixed; boundary="x"')
    assert "mime_no_version" in codes(raw)


def test_a_part_in_a_charset_that_does_not_exist_is_a_signal():
    assert "unknown_charset" in codes(eml(Content_Type='text/html; charset="DEFAULT"'))


def test_text_and_html_alternatives_that_say_different_things_are_a_signal():
    pitch = (
        "amazing bargain offer savings discount limited stock order today special price "
        "clearance deals shipping coupon exclusive members bonus gift voucher refund"
    )
    filler = (
        "weather gardens library committee chapter poetry history rivers mountains "
        "forest autumn winter spring summer music painting theatre novel cooking walking"
    )
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\n" + filler + "\r\n"
        "--b\r\nContent-Type: text/html\r\n\r\n<p>" + pitch + "</p>\r\n--b--"
    )
    raw = eml(body, Content_Type='multipart/alternative; boundary="b"')
    assert "alternative_mismatch" in codes(raw)


def test_campaign_content_has_no_envelope_signals():
    content = Content(subject="Re: hello", html="<p>Hi</p>", text="Hi", campaign=False)
    assert content.message is None
    assert "fake_reply" not in screen_content(content).codes


def test_broken_headers_never_crash_the_screen():
    raw = b"From: <<<@@@>>>\r\nDate: \xff\xfe\r\nTo: ,,,;;;\r\nSubject: =?bogus?Q?=ZZ?=\r\n\r\nhi"
    verdict = screen_content(content_from_message(raw))
    assert verdict.decision in set(Decision)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_as_a_message_give_a_verdict(raw):
    verdict = screen_content(content_from_message(b"Subject: x\r\n" + raw))
    assert verdict.decision in set(Decision)


# ------------------------------------------------------------------ obfuscation


def html_codes(html: str, text: str = "") -> list[str]:
    return screen_content(Content(subject="Hello", html=html, text=text, campaign=False)).codes


def test_letters_written_as_character_references_are_obfuscation():
    assert "obfuscated_text" in html_codes("<p>&#86;&#105;&#97;&#103;&#114;&#97; today</p>")


def test_words_split_by_comments_are_obfuscation():
    html = "<p>fr<!-- a -->ee mon<!-- b -->ey ca<!-- c -->sh</p>"
    assert "obfuscated_text" in html_codes(html)


def test_digits_standing_in_for_letters_are_obfuscation():
    assert "obfuscated_text" in html_codes("<p>Cheap V1AGRA and c1alis here</p>")


def test_ordinary_entities_and_comments_are_not_obfuscation():
    html = "<!-- layout --><p>Tom &amp; Jerry &#8212; caf&eacute; at 5&#8239;pm</p><!-- end -->"
    assert "obfuscated_text" not in html_codes(html)


def test_a_plain_text_part_that_is_raw_html_is_a_signal():
    text = '<html><body><font size=5>Deal</font><br><a href="http://x.example">go</a></body>'
    assert "html_in_text" in html_codes("", text=text)


# ------------------------------------------------------------------ phrases and wording


def test_phrases_count_once_per_class():
    hits = spam_phrase_hits("Make money! Earn cash from home. Work from home. Extra income.")
    assert list(hits) == ["money_making"]
    assert len(hits["money_making"]) >= 3


def test_every_phrase_class_has_a_fitted_weight():
    from mailsoftly.screening.content.phrases import SPAM_PHRASE_CLASSES

    assert {f"phrases.{name}" for name in SPAM_PHRASE_CLASSES} <= set(WEIGHTS)
    assert all(weight >= 0 for weight in WEIGHTS.values())


def test_wording_tokens_leave_out_addresses_links_and_numbers():
    words = wording.tokens(
        "Your invoice 42", "Mail bob@example.org or see https://x.example/a 2024 thanks"
    )
    assert words == {"s:your", "s:invoice", "mail", "see", "thanks"}


def test_the_wording_model_learns_only_words_many_messages_share():
    spam = [({"winner", "prize", f"unique{i}"}, True) for i in range(20)]
    ham = [({"meeting", "agenda", f"other{i}"}, False) for i in range(20)]
    model = wording.train(spam + ham)
    assert model["winner"] > 0.9 and model["meeting"] < 0.1
    assert not any(w.startswith(("unique", "other")) for w in model)
    spammy = {"winner", "prize"} | {f"w{i}" for i in range(10)}
    hammy = {"meeting", "agenda"}
    big = {**model, **{f"w{i}": 0.95 for i in range(10)}}
    assert wording.spam_probability(spammy, big) > 0.95
    assert wording.spam_probability(hammy, model) is None  # too few known words to say


def test_the_wording_signal_alone_never_holds():
    from mailsoftly.screening.content.signals import WORDING_CAP
    from mailsoftly.screening.content.verdict import HOLD_AT

    assert WORDING_CAP < HOLD_AT
    assert all(WEIGHTS[k] <= WORDING_CAP for k in WEIGHTS if k.startswith("spam_wording."))


def test_the_shipped_wording_model_loads_and_is_small():
    model = wording.model()
    assert 100 <= len(model) <= wording.KEEP
    assert all(0 < p < 1 for p in model.values())
