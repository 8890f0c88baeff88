"""Spam signals beyond the words: a raw message's envelope and text disguised from filters.

:func:`check_message` reads :class:`~mailsoftly.screening.content.message.MessageFacts`
(present only for raw messages). :func:`check_obfuscation` looks for text written so
that a filter cannot read it while a person can: letters spelled as HTML character
references, words split by comments or punctuation, digits standing in for letters in
the words spam is known for, and HTML sent as if it were plain text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mailsoftly.screening.content.brands import FREEMAIL
from mailsoftly.screening.content.budget import Deadline
from mailsoftly.screening.content.message import forged_freemail
from mailsoftly.screening.content.urls import registrable
from mailsoftly.screening.content.verdict import HOLD_AT, Decision, Reason
from mailsoftly.screening.content.weights import WEIGHTS

if TYPE_CHECKING:
    from mailsoftly.screening.content.engine import Context

MAX_SCAN_CHARS = 500_000


def gettext_noop(message: str) -> str:
    return message


def _r(code: str, template: str, weight: float = 1.0, **params) -> Reason:
    return Reason(
        code=code,
        template=template,
        params=params,
        weight=WEIGHTS.get(code, weight),
        forces=Decision.PASS,
    )


def _caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) >= 0.8


def check_message(ctx: Context, deadline: Deadline) -> list[Reason]:
    facts = ctx.content.message
    if facts is None:
        return []
    reasons: list[Reason] = []
    add = reasons.append
    if not facts.has_date:
        add(_r("date_missing", gettext_noop("The message has no Date header.")))
    elif not facts.date_ok:
        add(_r("date_invalid", gettext_noop("The message's Date header is not a valid date.")))
    elif not facts.date_has_zone:
        add(_r("date_no_zone", gettext_noop("The message's Date has no time zone.")))
    if facts.date_skew_hours is not None:
        if facts.date_skew_hours > 12:
            add(
                _r(
                    "date_future",
                    gettext_noop("The message is dated %(hours)s hours after it arrived."),
                    hours=round(facts.date_skew_hours),
                )
            )
        elif facts.date_skew_hours < -96:
            add(
                _r(
                    "date_past",
                    gettext_noop("The message is dated %(days)s days before it arrived."),
                    days=round(-facts.date_skew_hours / 24),
                )
            )
    if not facts.has_message_id:
        add(_r("msgid_missing", gettext_noop("The message has no Message-ID.")))
    elif not facts.message_id_ok:
        add(
            _r(
                "msgid_invalid",
                gettext_noop("The Message-ID is not in the form mail programs write."),
            )
        )
    if facts.to_undisclosed:
        add(_r("to_undisclosed", gettext_noop("The recipients are hidden (no To address).")))
    if facts.to_count > 10:
        add(
            _r(
                "to_many",
                gettext_noop("The message is addressed to %(count)s people at once."),
                count=facts.to_count,
            )
        )
    if facts.from_malformed:
        add(_r("from_malformed", gettext_noop("The From address is malformed.")))
    if facts.from_name_address and registrable(
        facts.from_name_address.rpartition("@")[2]
    ) != registrable(ctx.content.from_domain):
        add(
            _r(
                "from_name_address",
                gettext_noop("The sender's name shows the address %(shown)s, not the real one."),
                shown=facts.from_name_address,
            )
        )
    if _caps(facts.from_name):
        add(_r("from_name_caps", gettext_noop("The sender's name is in capitals.")))
    if facts.is_reply_subject and not facts.has_reply_headers:
        add(_r("fake_reply", gettext_noop('The subject says "Re:" but answers no message.')))
    if facts.high_priority:
        add(_r("high_priority", gettext_noop("The message is marked urgent (high priority).")))
    if facts.bulk_mailer:
        add(
            _r(
                "bulk_mailer",
                gettext_noop("The message was sent by bulk-mailing software (%(mailer)s)."),
                mailer=facts.bulk_mailer,
            )
        )
    if facts.subject_encoded_ascii:
        add(_r("subject_encoded", gettext_noop("The subject is encoded to hide plain text.")))
    if facts.subject_raw_8bit:
        add(_r("subject_8bit", gettext_noop("The subject has unencoded non-ASCII bytes.")))
    if facts.multipart and not facts.mime_version:
        add(_r("mime_no_version", gettext_noop("A multipart message lacks MIME-Version.")))
    if facts.defects:
        add(
            _r(
                "mime_defects",
                gettext_noop("The message's MIME structure is broken (%(count)s defects)."),
                count=facts.defects,
            )
        )
    if facts.base64_text:
        add(_r("base64_text", gettext_noop("Plain text is hidden in base64 encoding.")))
    if facts.unknown_charset:
        add(
            _r(
                "unknown_charset",
                gettext_noop("A part declares a character set that does not exist."),
            )
        )
    if facts.alternative_mismatch:
        add(
            _r(
                "alternative_mismatch",
                gettext_noop("The text and HTML versions say different things."),
            )
        )
    sender = ctx.content.from_domain
    if forged_freemail(facts, sender):
        add(
            _r(
                "forged_freemail",
                gettext_noop(
                    "The From address is at %(domain)s, but the message never passed its servers."
                ),
                domain=sender,
            )
        )
    reply_domain = facts.reply_to.rpartition("@")[2]
    if (
        reply_domain
        and registrable(reply_domain) in FREEMAIL
        and registrable(reply_domain) != registrable(sender)
    ):
        add(
            _r(
                "reply_to_freemail",
                gettext_noop("Replies go to a free mailbox (%(domain)s), not to the sender."),
                domain=reply_domain,
            )
        )
    return reasons


# Numeric character references for plain ASCII letters and digits: &#86;&#105;...
_ASCII_REF = re.compile(
    r"&#(?:x0*(?:4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])|0*(?:6[5-9]|[7-8]\d|9[0-07-9]|1[01]\d|12[0-2]));",
    re.I,
)
# A comment splitting a word: fr<!-- x -->ee
_COMMENT_IN_WORD = re.compile(r"[a-z]<!--.{0,200}?-->[a-z]", re.I | re.S)
# F.R.E.E, v-i-a-g-r-a, m o n e y: five or more letters split one by one.
_SPACED = re.compile(r"(?<![\w.])(?:[a-z][.*_\-|]){4,}[a-z](?![\w.])", re.I)
# Digits or symbols standing in for letters in spam's favourite words.
_LEET = re.compile(
    r"\b(?:v[i1!|]agr[a@4]|c[i1!|][a@4]l[i1!|]s|v[a@4]l[i1!|]um|xan[a@4]x|mor[t7]g[a@4]ge"
    r"|m[o0]rtg[a@4]ge|f[r]ee|c[a@4]sh|m[o0]ney|l[o0][a@4]n|cred[i1!|]t|s[e3]x)\b",
    re.I,
)
_HTML_TAG_IN_TEXT = re.compile(
    r"<(?:a\s+href|font|br|p|table|td|tr|img|html|body|div|center)\b", re.I
)


def check_obfuscation(ctx: Context, deadline: Deadline) -> list[Reason]:
    html = ctx.content.html[:MAX_SCAN_CHARS]
    text = ctx.visible_text[:MAX_SCAN_CHARS]
    reasons: list[Reason] = []
    refs = len(_ASCII_REF.findall(html))
    comments = len(_COMMENT_IN_WORD.findall(html))
    deadline.check()
    spaced = [m.group(0) for m in _SPACED.finditer(text)]
    leet = [
        m.group(0)
        for m in _LEET.finditer(f"{ctx.content.subject} {text}")
        if not m.group(0).isalpha()
    ]
    if refs >= 5 or comments >= 3 or len(spaced) >= 2 or leet:
        examples = ", ".join(f'"{w}"' for w in (leet + spaced)[:3]) or (
            gettext_noop("letters written as character codes")
            if refs >= 5
            else gettext_noop("words split by hidden comments")
        )
        reasons.append(
            _r(
                "obfuscated_text",
                gettext_noop("Words are disguised so filters cannot read them (%(examples)s)."),
                weight=3.0,
                examples=examples,
            )
        )
    plain = ctx.content.text[:MAX_SCAN_CHARS]
    if len(_HTML_TAG_IN_TEXT.findall(plain)) >= 3:
        reasons.append(
            _r(
                "html_in_text",
                gettext_noop("The plain-text version is raw HTML."),
                weight=2.0,
            )
        )
    return reasons


# The wording model alone never holds an email: a rule has to agree.
WORDING_CAP = HOLD_AT - 1.0


def check_wording(ctx: Context, deadline: Deadline) -> list[Reason]:
    from mailsoftly.screening.content import wording

    model = wording.model()
    if not model:
        return []
    words = wording.tokens(ctx.content.subject, ctx.visible_text)
    deadline.check()
    probability = wording.spam_probability(words, model)
    band = wording.band(probability)
    if band is None or probability is None:
        return []
    return [
        Reason(
            code="spam_wording",
            template=gettext_noop("The wording resembles known spam (%(percent)s%% likely)."),
            params={"percent": int(probability * 100), "band": band},
            weight=min(WEIGHTS.get(f"spam_wording.{band}", 0.0), WORDING_CAP),
        )
    ]
