"""The SpamAssassin backend against a fake spamd speaking SPAMC/SPAMD on 127.0.0.1 (P16).

The fake is a real TCP server on this machine: it reads the request the way spamd does
(a request line, headers, a blank line, ``Content-length`` bytes of message) and answers
as the test tells it to: a score, a refusal, nonsense, or nothing at all.
"""

from __future__ import annotations

import os

import pytest

from mailsoftly.screening import services, spamassassin
from mailsoftly.screening.content.verdict import Decision
from mailsoftly.screening.models import Review

pytestmark = pytest.mark.policy("P16")


def reasons(url: str, *, timeout: float = 5.0, html: str = "<p>Hello</p>"):
    return spamassassin.spamassassin_reasons(
        subject="Spring news",
        from_address="news@shop.example",
        html=html,
        text="Hello",
        spamd_url=url,
        timeout=timeout,
    )


# ------------------------------------------------------------------ the protocol


def test_the_request_is_a_well_formed_spamc_symbols_request(spamd):
    result = spamassassin.spamd_check(
        b"Subject: hi\r\n\r\nhello\r\n", host=spamd.host, port=spamd.port
    )
    (request,) = spamd.requests
    assert request["line"] == "SYMBOLS SPAMC/1.5"
    assert int(request["headers"]["content-length"]) == len(request["body"])
    assert request["body"] == b"Subject: hi\r\n\r\nhello\r\n"
    assert result.score == 2.5 and result.threshold == 5.0 and result.is_spam is False
    assert result.rules == ("HTML_MESSAGE", "MIME_HTML_ONLY", "URIBL_BLOCKED")


def test_a_spamd_reply_is_parsed_with_its_verdict():
    raw = b"SPAMD/1.1 0 EX_OK\r\nContent-length: 9\r\nSpam: Yes ; 16.2 / 5.0\r\n\r\nRULE_A,B_2"
    result = spamassassin.parse_response(raw)
    assert (result.score, result.threshold, result.is_spam) == (16.2, 5.0, True)
    assert result.rules == ("RULE_A", "B_2")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n",  # no Spam: header
        b"SPAMD/1.1 0 EX_OK\r\nSpam: maybe ; x / y\r\n\r\n",
        b"SPAMD/1.0 74 EX_NOHOST\r\n",
    ],
)
def test_replies_that_are_not_a_score_are_errors(raw):
    with pytest.raises(spamassassin.SpamdError):
        spamassassin.parse_response(raw)


@pytest.mark.parametrize("url", ["http://127.0.0.1:783", "spamd://", "783"])
def test_a_spamd_url_must_name_a_host(url):
    with pytest.raises(ValueError, match="spamd URL"):
        spamassassin.parse_spamd_url(url)


def test_the_default_spamd_port_is_783():
    assert spamassassin.parse_spamd_url("spamd://mail.internal") == ("mail.internal", 783)


# ------------------------------------------------------------------ reasons


def test_the_spamassassin_score_joins_the_verdict_with_its_rules(spamd):
    spamd.score = 3.25
    (reason,) = reasons(spamd.url)
    assert reason.code == "spamassassin"
    assert reason.weight == 3.25 and reason.forces == Decision.PASS
    assert "3.25" in reason.message and "MIME_HTML_ONLY" in reason.message
    assert b"Spring news" in spamd.requests[0]["body"]


def test_a_negative_score_never_lowers_our_own(spamd):
    spamd.score = -1.5
    (reason,) = reasons(spamd.url)
    assert reason.weight == 0.0


def test_spamd_that_does_not_answer_in_time_holds_the_content(spamd):
    spamd.mode = "hang"
    (reason,) = reasons(spamd.url, timeout=0.2)
    assert reason.code == spamassassin.UNAVAILABLE
    assert reason.forces == Decision.HOLD
    assert "did not answer within 0.2 s" in reason.message
    assert "a person will review it" in reason.message


def test_spamd_that_is_down_holds_the_content(down_url):
    (reason,) = reasons(down_url)
    assert reason.code == spamassassin.UNAVAILABLE and reason.forces == Decision.HOLD
    assert "cannot be reached" in reason.message


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("garbage", "not the SPAMD protocol"),
        ("refuse", "refused the message (76"),
        ("close", "not the SPAMD protocol"),
    ],
)
def test_spamd_answering_nonsense_or_refusing_holds_the_content(spamd, mode, words):
    spamd.mode = mode
    (reason,) = reasons(spamd.url)
    assert reason.forces == Decision.HOLD
    assert words in reason.message


def test_no_backend_configured_adds_nothing(monkeypatch):
    monkeypatch.setattr(spamassassin.shutil, "which", lambda name: None)
    assert reasons(None) == []


# ------------------------------------------------------------------ in the service


def screen(workspace):
    return services.content_screen(
        workspace=workspace,
        subject="Spring news",
        from_address="news@shop.example",
        html="<p>Our spring plants are in. Come and see them.</p>",
        text="Our spring plants are in. Unsubscribe: {{ unsubscribe_url }}",
    )


@pytest.mark.django_db
def test_a_high_spamassassin_score_holds_a_campaign(workspace, with_spamd):
    with_spamd.score = 9.0
    result = screen(workspace)
    assert result.decision == "hold" and result.review == Review.PENDING
    reason = next(r for r in result.reasons if r["code"] == "spamassassin")
    assert reason["weight"] == 9.0 and "URIBL_BLOCKED" in reason["message"]


@pytest.mark.django_db
def test_a_hold_because_spamd_was_down_is_screened_again_once_it_is_back(
    workspace, settings, with_spamd, down_url
):
    settings.SCREENING_SPAMD_URL = down_url
    held = screen(workspace)
    assert held.decision == "hold" and held.review == Review.PENDING
    assert [r["code"] for r in held.reasons] == [spamassassin.UNAVAILABLE]

    settings.SCREENING_SPAMD_URL = with_spamd.url
    with_spamd.score = 1.0
    again = screen(workspace)
    assert again.pk == held.pk
    assert again.decision == "pass" and again.review == Review.NONE
    assert [r["code"] for r in again.reasons] == ["spamassassin"]
    assert len(with_spamd.requests) == 1


@pytest.mark.django_db
def test_an_operator_decision_on_a_spamd_hold_stands(workspace, settings, with_spamd, down_url):
    from tests.factories import UserFactory

    settings.SCREENING_SPAMD_URL = down_url
    held = screen(workspace)
    services.screening_block(result=held, reviewer=UserFactory(is_staff=True), comment="no")
    settings.SCREENING_SPAMD_URL = with_spamd.url
    again = screen(workspace)
    assert again.pk == held.pk and again.review == Review.BLOCKED
    assert with_spamd.requests == []


# ------------------------------------------------------------------ the spamc program


@pytest.fixture
def fake_spamc(tmp_path, monkeypatch):
    """A ``spamc`` on PATH: a shell script that reads the message and answers as told."""

    def install(body: str):
        script = tmp_path / "spamc"
        script.write_text(f"#!/bin/sh\ncat > {tmp_path}/message.eml\n{body}\n")
        script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ.get('PATH', '')}")
        return tmp_path / "message.eml"

    return install


def test_without_spamd_url_the_spamc_program_is_asked(fake_spamc):
    received = fake_spamc('echo "6.5/5.0"')
    (reason,) = reasons(None)
    assert reason.code == "spamassassin" and reason.weight == 6.5
    assert "6.5" in reason.message and "5.0" in reason.message
    assert b"Subject: Spring news" in received.read_bytes()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        # spamc -x prints "0/0" and exits 69 when spamd cannot be reached.
        ('echo "0/0"; exit 69', "exit status 69"),
        ('echo "0/0"; exit 75', "exit status 75"),
        ('echo "not a score"', "not a score"),
        ("exit 0", "not a score"),
    ],
)
def test_spamc_that_cannot_score_holds_the_content(fake_spamc, body, words):
    fake_spamc(body)
    (reason,) = reasons(None)
    assert reason.code == spamassassin.UNAVAILABLE and reason.forces == Decision.HOLD
    assert words in reason.message


def test_spamc_reporting_spam_exits_1_and_still_scores(fake_spamc):
    fake_spamc('echo "12.0/5.0"; exit 1')
    (reason,) = reasons(None)
    assert reason.code == "spamassassin" and reason.weight == 12.0


def test_spamc_that_does_not_answer_in_time_holds_the_content(fake_spamc):
    fake_spamc("exec sleep 30")
    (reason,) = reasons(None, timeout=0.3)
    assert reason.code == spamassassin.UNAVAILABLE and reason.forces == Decision.HOLD
    assert "did not answer within 0.3 s" in reason.message
