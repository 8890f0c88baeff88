"""Messages built from the skeleton are valid MIME and their DKIM signatures verify."""

from __future__ import annotations

import email
import email.policy

import dkim as dkimpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailsoftly.sending import dkim
from mailsoftly.sending.mime import Skeleton


def _dns_for(domain: str, selector: str, pair: dkim.KeyPair):
    record = dkim.dns_txt_value(algorithm=pair.algorithm, public_b64=pair.public_b64).encode()

    def lookup(name, timeout=5):
        return record if name == f"{selector}._domainkey.{domain}.".encode() else None

    return lookup


def _build(pair: dkim.KeyPair | None, **overrides):
    signers = ()
    if pair is not None:
        signers = (
            dkim.Signer(
                domain="news.example.com",
                selector="s1",
                algorithm=pair.algorithm,
                private_pem=pair.private_pem,
            ),
        )
    skeleton = Skeleton(
        from_name="Ünïcode Shop",
        from_email="hello@news.example.com",
        list_id="Weekly <weekly.1.example.com>",
        feedback_id="42:1:mailsoftly",
        signers=signers,
    )
    fields = {
        "key": 7,
        "to_name": "Zoë Adams",
        "to_email": "zoe@example.org",
        "subject": "Hello Zoë, our café is open",
        "text": "Hi Zoë\n\nWe are open. \t \n. a line starting with a dot\n",
        "html": "<p>Hi Zoë</p>\n<p>" + "x" * 300 + "</p>",
        "message_id": "<7.us@news.example.com>",
        "unsubscribe_url": "https://mail.example.net/u/abc/",
        "unsubscribe_mailto": "mailto:unsubscribe@news.example.com?subject=7",
    }
    fields.update(overrides)
    return skeleton.build(**fields)


@pytest.mark.parametrize("algorithm", [dkim.RSA, dkim.ED25519])
def test_signature_verifies_with_dkimpy(algorithm):
    pair = dkim.key_generate(algorithm)
    envelope = _build(pair)
    assert dkimpy.verify(envelope.data, dnsfunc=_dns_for("news.example.com", "s1", pair))


def test_signature_covers_from_subject_and_unsubscribe_headers():
    pair = dkim.key_generate(dkim.RSA)
    envelope = _build(pair)
    message = email.message_from_bytes(envelope.data, policy=email.policy.default)
    tags = dict(
        part.strip().split("=", 1)
        for part in "".join(message["DKIM-Signature"].split()).split(";")
        if part.strip()
    )
    signed = tags["h"].split(":")
    for name in ("from", "subject", "list-unsubscribe", "list-unsubscribe-post", "to"):
        assert name in signed
    assert tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"


def test_tampered_subject_fails_verification():
    pair = dkim.key_generate(dkim.RSA)
    envelope = _build(pair, subject="Plain subject")
    tampered = envelope.data.replace(b"Subject: Plain subject", b"Subject: Plain subjekt")
    assert tampered != envelope.data
    assert not dkimpy.verify(tampered, dnsfunc=_dns_for("news.example.com", "s1", pair))


def test_skeleton_output_is_multipart_alternative_with_decodable_parts():
    envelope = _build(None)
    assert b"\r\n" in envelope.data and b"\n" not in envelope.data.replace(b"\r\n", b"")
    message = email.message_from_bytes(envelope.data, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert str(message["Subject"]) == "Hello Zoë, our café is open"
    assert message["To"].addresses[0].display_name == "Zoë Adams"
    assert message["From"].addresses[0].addr_spec == "hello@news.example.com"
    assert message["Message-ID"] == "<7.us@news.example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"] == (
        "<https://mail.example.net/u/abc/>, <mailto:unsubscribe@news.example.com?subject=7>"
    )
    assert message["Date"] is not None
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hi Zoë" in text and ". a line starting with a dot" in text
    assert html.startswith("<p>Hi Zoë</p>") and "x" * 300 in html
    assert envelope.rcpt_to == "zoe@example.org"
    assert envelope.mail_from == "hello@news.example.com"


def test_line_breaks_in_merged_subject_cannot_inject_headers():
    envelope = _build(None, subject="Hi\r\nBcc: victim@example.org")
    message = email.message_from_bytes(envelope.data, policy=email.policy.default)
    assert message["Bcc"] is None
    assert "Bcc" in str(message["Subject"])


def test_dns_record_shows_algorithm_and_public_key():
    pair = dkim.key_generate(dkim.ED25519)
    value = dkim.dns_txt_value(algorithm=pair.algorithm, public_b64=pair.public_b64)
    assert value.startswith("v=DKIM1; k=ed25519; p=")
    assert "PRIVATE" not in value


@given(
    st.lists(
        st.text(alphabet=st.sampled_from(["a", "b", " ", "\t", "=", "."]), max_size=30),
        max_size=12,
    )
)
def test_relaxed_body_canonicalisation_matches_dkimpy(lines):
    from dkim.canonicalization import Relaxed

    body = "\r\n".join(lines).encode() + b"\r\n"
    assert dkim.body_relaxed(body) == Relaxed.canonicalize_body(body)


def test_whitespace_heavy_bodies_still_verify():
    pair = dkim.key_generate(dkim.RSA)
    envelope = _build(pair, text="a  b\t\tc   \n\n\n", html="<pre>\tx    y  </pre>\n\n")
    assert dkimpy.verify(envelope.data, dnsfunc=_dns_for("news.example.com", "s1", pair))


@given(st.binary(max_size=60) | st.text(alphabet=" \t\r\nab:=;", max_size=40).map(str.encode))
def test_relaxed_header_fast_path_matches_the_regular_expressions(value):
    import re

    slow = re.sub(rb"[ \t]+", b" ", re.sub(rb"\r\n(?=[ \t])", b"", value)).strip()
    assert dkim.header_relaxed(b"Subject ", value) == b"subject:" + slow + b"\r\n"


@given(
    st.text(max_size=30),
    st.sampled_from(["zoe@example.org", "a.b+c@x.example", "Zoë@example.org"]),
)
def test_address_fast_path_matches_formataddr(name, address):
    from email.utils import formataddr

    from mailsoftly.sending.mime import address_encode

    try:
        expected = formataddr((" ".join(name.split()), address), charset="utf-8").encode("ascii")
    except UnicodeEncodeError:  # a non-ASCII address is refused either way
        with pytest.raises(UnicodeEncodeError):
            address_encode(name, address)
        return
    assert address_encode(name, address) == expected


@given(
    st.sampled_from(
        ["zoe@example.org", "a.b+c@x.example", "", "Zoë <zoe@example.org>", "x y@z", "<a@b>"]
    )
)
def test_envelope_address_matches_smtplib(address):
    import smtplib

    from mailsoftly.sending.messengers import envelope_address

    assert envelope_address(address) == smtplib.quoteaddr(address).encode("utf-8")
