"""RFC 2920 PIPELINING in the SMTP pool, against a real aiosmtpd server that offers it."""

from __future__ import annotations

import pytest

from mailsoftly.sending import messengers
from mailsoftly.sending.messengers import Outcome, SmtpConfig, SmtpMessenger
from tests.sending.test_smtp_messenger import _envelope, _skeleton


@pytest.fixture
def pipelining_server(smtp_server):
    async def handle_EHLO(server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    smtp_server.handle_EHLO = handle_EHLO
    return smtp_server


@pytest.fixture
def pipelined_calls(monkeypatch):
    calls = []
    original = messengers.smtp_send_pipelined

    def counted(conn, envelope):
        calls.append(envelope.key)
        return original(conn, envelope)

    monkeypatch.setattr(messengers, "smtp_send_pipelined", counted)
    return calls


def _send(server, envelopes):
    messenger = SmtpMessenger(SmtpConfig(host=server.host, port=server.port, max_connections=2))
    try:
        for envelope in envelopes:
            messenger.push(envelope)
        return {r.key: r for r in messenger.flush()}
    finally:
        messenger.close()


def test_pipelined_messages_arrive_whole_and_once(pipelining_server, pipelined_calls):
    skeleton = _skeleton()
    envelopes = [_envelope(skeleton, i, f"p{i}@example.org") for i in range(1, 31)]
    results = _send(pipelining_server, envelopes)
    assert {r.outcome for r in results.values()} == {Outcome.SENT}
    assert sorted(pipelined_calls) == list(range(1, 31))
    received = sorted(m.rcpt_tos[0] for m in pipelining_server.messages)
    assert received == sorted(f"p{i}@example.org" for i in range(1, 31))
    for message in pipelining_server.messages:
        assert message.message.get_body(("plain",)).get_content().strip() == "hello"


def test_lines_starting_with_a_dot_are_stuffed_and_arrive_intact(pipelining_server):
    skeleton = _skeleton()
    envelope = skeleton.build(
        key=1,
        to_name="",
        to_email="dots@example.org",
        subject="Dots",
        text=".\n.leading dot\n..two",
        html="<p>x</p>",
        message_id="<dots@example.com>",
        unsubscribe_url="https://x.example/u",
    )
    assert _send(pipelining_server, [envelope])[1].outcome == Outcome.SENT
    (received,) = pipelining_server.messages
    text = received.message.get_body(("plain",)).get_content()
    assert text.splitlines()[:3] == [".", ".leading dot", "..two"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [(550, Outcome.BOUNCED), (450, Outcome.RETRY), (452, Outcome.RETRY)],
)
def test_pipelined_recipient_refusals_are_classified_and_the_session_stays_in_step(
    pipelining_server, pipelined_calls, code, expected
):
    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return f"{code} refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    pipelining_server.handle_RCPT = handle_RCPT
    skeleton = _skeleton()
    envelopes = [
        _envelope(skeleton, 1, "bad1@example.org"),
        _envelope(skeleton, 2, "good2@example.org"),
        _envelope(skeleton, 3, "bad3@example.org"),
        _envelope(skeleton, 4, "good4@example.org"),
    ]
    results = _send(pipelining_server, envelopes)
    assert (results[1].outcome, results[1].code) == (expected, code)
    assert (results[3].outcome, results[3].code) == (expected, code)
    assert results[2].outcome == results[4].outcome == Outcome.SENT
    assert sorted(m.rcpt_tos[0] for m in pipelining_server.messages) == [
        "good2@example.org",
        "good4@example.org",
    ]
    assert pipelined_calls


def test_data_refused_after_the_message_is_failed_or_retried(pipelining_server):
    async def handle_DATA(server, session, envelope):
        if envelope.rcpt_tos[0].startswith("spam"):
            return "554 5.7.1 rejected as spam"
        if envelope.rcpt_tos[0].startswith("later"):
            return "451 4.3.0 try again"
        pipelining_server.messages.append(envelope)
        return "250 OK"

    pipelining_server.handle_DATA = handle_DATA
    skeleton = _skeleton()
    results = _send(
        pipelining_server,
        [
            _envelope(skeleton, 1, "spam@example.org"),
            _envelope(skeleton, 2, "later@example.org"),
            _envelope(skeleton, 3, "fine@example.org"),
        ],
    )
    assert (results[1].outcome, results[1].code) == (Outcome.FAILED, 554)
    assert (results[2].outcome, results[2].code) == (Outcome.RETRY, 451)
    assert results[3].outcome == Outcome.SENT


def test_421_mid_transaction_drops_the_connection_and_retries(pipelining_server):
    async def handle_DATA(server, session, envelope):
        return "421 4.3.2 shutting down"

    pipelining_server.handle_DATA = handle_DATA
    results = _send(pipelining_server, [_envelope(_skeleton(), 1, "x@example.org")])
    assert results[1].outcome == Outcome.RETRY
    assert results[1].connection_error
