"""Bounces and complaints: the parser (built messages, the sisimai corpus, fuzzing) and
``bounce_process`` applied to deliveries of a campaign sent through a real SMTP server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsoftly import cli
from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Campaign, Delivery, DeliveryStatus
from mailsoftly.contacts.models import Contact, ContactStatus, Suppression, SuppressionReason
from mailsoftly.sending import bounces
from mailsoftly.sending.bounce_services import DUPLICATE, PROCESSED, UNMATCHED, bounce_process
from mailsoftly.sending.models import BounceRecord
from mailsoftly.tracking.models import Event
from tests.campaigns.helpers import make_campaign, make_list

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "bounces"
if not CORPUS.is_dir():  # a checkout outside /work: the corpus path may be given instead
    CORPUS = Path("/work/shared/corpus/bounces")


def dsn(
    *,
    recipient="ann@example.org",
    action="failed",
    status="5.1.1",
    diagnostic="smtp; 550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown",
    original: bytes = b"",
    message_id="<dsn-1@mx.example.net>",
) -> bytes:
    original = original or (
        b"From: Shop <news@shop.example>\r\nTo: ann@example.org\r\n"
        b"Message-ID: <us.1.42@shop.example>\r\nX-Mailsoftly-Delivery: us.42\r\n"
        b"Subject: News\r\n\r\nHello\r\n"
    )
    return (
        (
            "From: MAILER-DAEMON@mx.example.net\r\n"
            "To: news@shop.example\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: {message_id}\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\n"
            f"Status: {status}\r\nDiagnostic-Code: {diagnostic}\r\n\r\n"
            "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + original
        + b"\r\n--B--\r\n"
    )


def arf(*, original: bytes, recipient="ann@example.org", message_id="<arf-1@fbl.example>"):
    return (
        (
            "From: feedback@fbl.example\r\nTo: abuse@shop.example\r\n"
            f"Subject: Complaint\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\r\n\r\n'
            "--F\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
            "--F\r\nContent-Type: message/feedback-report\r\n\r\n"
            f"Feedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n"
            f"Original-Rcpt-To: {recipient}\r\n\r\n"
            "--F\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + original
        + b"\r\n--F--\r\n"
    )


# ---------------------------------------------------------------- the parser


def test_rfc3464_hard_bounce_gives_recipient_status_code_and_our_delivery():
    result = bounces.parse(dsn())
    assert result.kind == bounces.HARD
    assert result.recipients == ["ann@example.org"]
    assert result.status == "5.1.1"
    assert result.smtp_code == 550
    assert "User unknown" in result.diagnostic
    assert (result.region, result.delivery_id) == ("us", 42)
    assert result.message_id == "<dsn-1@mx.example.net>"


def test_delayed_dsn_is_soft_and_4xx_status_is_soft():
    delayed = bounces.parse(dsn(action="delayed", status="4.4.7", diagnostic="smtp; timeout"))
    assert delayed.kind == bounces.SOFT
    full = bounces.parse(
        dsn(status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full", message_id="<x@y>")
    )
    assert full.kind == bounces.SOFT
    assert full.smtp_code == 452


def test_delivery_found_by_message_id_when_our_header_was_stripped():
    original = (
        b"From: news@shop.example\r\nTo: ann@example.org\r\n"
        b"Message-ID: <eu.7.99@shop.example>\r\nSubject: x\r\n\r\nbody\r\n"
    )
    result = bounces.parse(dsn(original=original))
    assert (result.region, result.delivery_id) == ("eu", 99)


def test_delivery_found_in_text_rfc822_headers_part():
    raw = dsn().replace(b"Content-Type: message/rfc822", b"Content-Type: text/rfc822-headers")
    assert bounces.parse(raw).delivery_id == 42


def test_arf_report_is_a_complaint_with_the_original_recipient():
    result = bounces.parse(arf(original=b"To: ann@example.org\r\nX-Mailsoftly-Delivery: eu.5\r\n"))
    assert result.kind == bounces.COMPLAINT
    assert result.recipients == ["ann@example.org"]
    assert (result.region, result.delivery_id) == ("eu", 5)


def test_non_standard_qmail_bounce_is_read_from_the_text():
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: news@shop.example\r\n"
        b"Subject: failure notice\r\n\r\n"
        b"Hi. This is the qmail-send program at mx.example.net.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
        b"<bo@example.org>:\r\n192.0.2.1 does not like recipient.\r\n"
        b"Remote host said: 550 5.1.1 no such user\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n"
        b"To: bo@example.org\r\nX-Mailsoftly-Delivery: us.8\r\n\r\nHello\r\n"
    )
    result = bounces.parse(raw)
    assert result.kind == bounces.HARD
    assert result.recipients == ["bo@example.org"]
    assert result.status == "5.1.1"
    assert result.smtp_code == 550
    assert result.delivery_id == 8


def test_auto_reply_and_ordinary_mail_are_not_bounces():
    reply = bounces.parse(
        b"From: ann@example.org\r\nTo: news@shop.example\r\nAuto-Submitted: auto-replied\r\n"
        b"Subject: Out of office\r\n\r\nI am away until Monday.\r\n"
    )
    assert reply.kind == bounces.AUTO_REPLY
    assert not reply.is_bounce
    plain = bounces.parse(b"From: ann@example.org\r\nSubject: Hello\r\n\r\nHi there\r\n")
    assert plain.kind == bounces.UNKNOWN
    assert not plain.is_bounce


def test_corpus_examples_are_read_correctly():
    postfix = bounces.parse((CORPUS / "bsd" / "lhost-postfix-01.eml").read_bytes())
    assert (postfix.kind, postfix.status) == (bounces.HARD, "5.1.1")
    assert postfix.recipients == ["kijitora@example.org"]  # the Original-Recipient
    complaint = bounces.parse((CORPUS / "bsd" / "arf-01.eml").read_bytes())
    assert complaint.kind == bounces.COMPLAINT
    ses = bounces.parse((CORPUS / "bsd" / "lhost-amazonses-09.eml").read_bytes())
    assert ses.is_bounce and ses.recipients


@pytest.mark.skipif(not CORPUS.is_dir(), reason="bounce corpus not present")
def test_every_corpus_message_parses_and_most_bounces_are_understood():
    """Not timed: a coverage check. Figures per class: benchmarks/bounces_corpus.py."""
    understood = 0
    files = sorted((CORPUS / "bsd").iterdir())
    for path in [*files, *(CORPUS / "err").iterdir(), *(CORPUS / "not").iterdir()]:
        result = bounces.parse(path.read_bytes())  # must never raise
        assert result.kind in bounces.KINDS
        if path.parent.name == "bsd" and result.is_bounce and result.recipients:
            understood += 1
    assert understood / len(files) >= 0.95, understood
    for name in ("is-not-bounce-01.eml", "is-not-bounce-02.eml"):
        assert not bounces.parse((CORPUS / "not" / name).read_bytes()).is_bounce


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=3000))
def test_parser_never_raises_on_arbitrary_bytes(raw):
    assert bounces.parse(raw).kind in bounces.KINDS


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=2000), junk=st.binary(max_size=200))
def test_parser_never_raises_on_damaged_bounces(cut, junk):
    raw = dsn()
    assert bounces.parse(raw[:cut] + junk + raw[cut:]).kind in bounces.KINDS


# ---------------------------------------------------------------- applying bounces


@pytest.fixture
def sent(workspace, smtp_server, django_capture_on_commit_callbacks):
    """A campaign really sent to Ann and Bo; returns (campaign, {email: received bytes})."""
    smtp_server.relay_for(workspace)
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann"), ("bo@example.org", "Bo")])
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    received = {m.rcpt_tos[0]: m.data for m in smtp_server.messages}
    assert set(received) == {"ann@example.org", "bo@example.org"}
    return campaign, received


def _delivery(workspace, email):
    return Delivery.objects.for_workspace(workspace).get(email=email)


def _contact(workspace, email):
    return Contact.objects.for_workspace(workspace).get(email=email)


def _campaign(campaign):
    return Campaign.objects.for_workspace(campaign.workspace).get(pk=campaign.pk)


def test_hard_bounce_marks_delivery_contact_and_suppression_once(workspace, sent):
    campaign, received = sent
    raw = dsn(original=received["ann@example.org"])

    outcome = bounce_process(raw=raw)

    ann = _delivery(workspace, "ann@example.org")
    assert outcome.action == PROCESSED and outcome.delivery_id == ann.pk
    assert (ann.status, ann.smtp_code) == (DeliveryStatus.BOUNCED, 550)
    assert "5.1.1" in ann.reason
    assert _delivery(workspace, "bo@example.org").status == DeliveryStatus.SENT
    fresh = _campaign(campaign)
    assert (fresh.sent_count, fresh.bounced_count) == (1, 1)
    assert _contact(workspace, "ann@example.org").status == ContactStatus.BOUNCED
    suppression = Suppression.objects.for_workspace(workspace).get()
    assert (suppression.email, suppression.reason) == ("ann@example.org", SuppressionReason.BOUNCED)
    events = Event.objects.using(workspace.database).filter(delivery=ann)
    assert list(events.values_list("kind", flat=True)) == ["bounce"]

    again = bounce_process(raw=raw)

    assert again.action == DUPLICATE
    assert _campaign(campaign).bounced_count == 1
    assert BounceRecord.objects.for_workspace(workspace).count() == 1
    assert events.count() == 1


@pytest.mark.usefixtures("sent")
def test_bounce_without_our_headers_is_matched_through_the_recipient(workspace):
    stripped = b"To: bo@example.org\r\nSubject: News\r\n\r\nHello\r\n"
    outcome = bounce_process(
        raw=dsn(recipient="bo@example.org", original=stripped, diagnostic="smtp; 550 no")
    )
    assert outcome.action == PROCESSED
    assert outcome.delivery_id == _delivery(workspace, "bo@example.org").pk
    assert _delivery(workspace, "bo@example.org").status == DeliveryStatus.BOUNCED


def test_bounce_for_nobody_we_mailed_changes_nothing(workspace, sent):
    campaign, _ = sent
    stripped = b"To: eve@example.org\r\n\r\nHello\r\n"
    outcome = bounce_process(raw=dsn(recipient="eve@example.org", original=stripped))
    assert outcome.action == UNMATCHED
    assert _campaign(campaign).bounced_count == 0
    assert not Suppression.objects.for_workspace(workspace).exists()


def test_complaint_unsubscribes_marks_complained_and_suppresses(workspace, sent):
    _, received = sent
    outcome = bounce_process(raw=arf(original=received["bo@example.org"], recipient="bo@x"))
    bo = _delivery(workspace, "bo@example.org")
    assert outcome.action == PROCESSED and outcome.delivery_id == bo.pk
    assert _contact(workspace, "bo@example.org").status == ContactStatus.COMPLAINED
    suppression = Suppression.objects.for_workspace(workspace).get()
    assert suppression.reason == SuppressionReason.COMPLAINED
    assert bo.status == DeliveryStatus.SENT  # the message did arrive
    event = Event.objects.using(workspace.database).get(delivery=bo)
    assert event.kind == "complaint"


def test_soft_bounces_suppress_only_after_the_limit_in_a_row(workspace, sent):
    campaign, received = sent

    def soft(n, original):
        return dsn(
            status="4.2.2",
            diagnostic="smtp; 452 4.2.2 Mailbox full",
            original=original,
            message_id=f"<soft-{n}@mx.example.net>",
        )

    with override_settings(BOUNCES_SOFT_LIMIT=2):
        first = bounce_process(raw=soft(1, received["ann@example.org"]))
        assert first.action == PROCESSED and not first.suppressed
        assert not Suppression.objects.for_workspace(workspace).exists()
        assert _contact(workspace, "ann@example.org").status == ContactStatus.ACTIVE
        assert _delivery(workspace, "ann@example.org").status == DeliveryStatus.BOUNCED

        # A second campaign to Ann soft-bounces too: now two in a row.
        contact_list = campaign.list_ids
        second = campaign_services.campaign_create(
            workspace=workspace,
            name="December",
            design=campaign.design,
            sender=campaign.sender,
            list_ids=contact_list,
        )
        later = Delivery.objects.for_workspace(workspace).create(
            workspace=workspace,
            campaign=second,
            contact=_contact(workspace, "ann@example.org"),
            email="ann@example.org",
            email_key="ann@example.org",
            status=DeliveryStatus.SENT,
        )
        original = f"To: ann@example.org\r\nX-Mailsoftly-Delivery: us.{later.pk}\r\n\r\nx\r\n"
        outcome = bounce_process(raw=soft(2, original.encode()))

    assert outcome.delivery_id == later.pk and outcome.suppressed
    assert Suppression.objects.for_workspace(workspace).get().email == "ann@example.org"
    assert _contact(workspace, "ann@example.org").status == ContactStatus.BOUNCED
    types = Event.objects.using(workspace.database).filter(kind="bounce").count()
    assert types == 2


def test_cli_dry_run_prints_json_and_changes_nothing(workspace, sent, tmp_path, capsys):
    _, received = sent
    path = tmp_path / "bounce.eml"
    path.write_bytes(dsn(original=received["ann@example.org"]))

    assert cli.main(["bounces", "--dry-run", "--json", str(path)]) == 0

    line = json.loads(capsys.readouterr().out.strip())
    assert line["file"] == str(path)
    assert (line["is_bounce"], line["kind"], line["status"]) == (True, "hard", "5.1.1")
    assert line["recipients"] == ["ann@example.org"]
    assert _delivery(workspace, "ann@example.org").status == DeliveryStatus.SENT


def test_cli_reads_stdin_and_applies(workspace, sent, capsys, monkeypatch):
    _, received = sent
    stdin = io.TextIOWrapper(io.BytesIO(dsn(original=received["ann@example.org"])))
    monkeypatch.setattr("sys.stdin", stdin)

    assert cli.main(["bounces", "--json", "-"]) == 0

    line = json.loads(capsys.readouterr().out.strip())
    assert line["action"] == PROCESSED
    assert _delivery(workspace, "ann@example.org").status == DeliveryStatus.BOUNCED


def test_cli_reads_an_mbox_and_reports_unreadable_files(tmp_path, capsys):
    box = tmp_path / "bounces.mbox"
    box.write_bytes(
        b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
        + dsn().replace(b"\r\n", b"\n")
        + b"\nFrom MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
        + dsn(status="4.2.2", message_id="<b@c>").replace(b"\r\n", b"\n")
    )
    assert cli.main(["bounces", "--dry-run", "--json", str(box), str(tmp_path / "nope")]) == 1
    out = capsys.readouterr()
    kinds = [json.loads(line)["kind"] for line in out.out.splitlines()]
    assert kinds == ["hard", "soft"]
    assert "cannot read" in out.err


@override_settings(BOUNCES_PAUSE_MIN_SENT=2, BOUNCES_PAUSE_RATE=0.4)
def test_a_sending_campaign_pauses_itself_when_its_bounce_rate_passes_the_limit(workspace, sent):
    campaign, received = sent
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(status="sending")

    bounce_process(raw=dsn(original=received["ann@example.org"]))  # 1 of 2 = 50 % > 40 %

    fresh = _campaign(campaign)
    assert fresh.status == "paused"
    assert "50.0%" in fresh.status_reason


@override_settings(BOUNCES_PAUSE_MIN_SENT=2, COMPLAINTS_PAUSE_RATE=0.6)
def test_complaints_below_the_limit_leave_the_campaign_sending(workspace, sent):
    campaign, received = sent
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(status="sending")

    bounce_process(raw=arf(original=received["bo@example.org"]))  # 1 of 2 = 50 % < 60 %

    assert _campaign(campaign).status == "sending"
    with override_settings(COMPLAINTS_PAUSE_RATE=0.3):
        bounce_process(raw=arf(original=received["ann@example.org"], message_id="<arf-2@f>"))
    assert _campaign(campaign).status == "paused"


def test_plain_bounce_without_codes_is_classed_by_its_wording():
    head = b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Delivery failure\r\n\r\n"
    full = bounces.parse(head + b"Could not deliver to <ann@example.org>: mailbox is full\r\n")
    assert (full.kind, full.recipients) == (bounces.SOFT, ["ann@example.org"])
    gone = bounces.parse(head + b"Delivery to <ann@example.org> failed permanently.\r\n")
    assert gone.kind == bounces.HARD
