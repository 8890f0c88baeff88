"""The content screen: pure functions from an email's parts to a :class:`Verdict`.

No database, no network (the optional SpamAssassin backend talks to a local ``spamd``).
Every check runs under its own time budget. A check that runs out of time, or fails in a
way we did not foresee, adds a reason that *holds* the content: the screen never passes
what it could not finish reading, and it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mailsoftly.screening.content import phrases
from mailsoftly.screening.content.budget import Deadline, DeadlineExceeded
from mailsoftly.screening.content.htmlscan import HtmlScan, Link, scan_html
from mailsoftly.screening.content.message import MessageFacts
from mailsoftly.screening.content.signals import (
    check_message,
    check_obfuscation,
    check_wording,
)
from mailsoftly.screening.content.urls import (
    brand_lookalike,
    domain_shown,
    parse_url,
    public_suffix,
    registrable,
    same_owner,
    urls_in_text,
)
from mailsoftly.screening.content.verdict import Decision, Reason, Verdict
from mailsoftly.screening.content.weights import PHRASE_CLASS_CAP, WEIGHTS


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages knows this name) without needing
    Django settings, so the engine stays usable as a plain library."""
    return message


MAX_HTML_CHARS = 2_000_000
MAX_TEXT_CHARS = 1_000_000
MAX_SUBJECT_CHARS = 2_000
MAX_LINKS = 2_000
DEFAULT_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Content:
    """What is screened. ``campaign`` switches on the rules that only make sense for
    campaigns sent through us (no attachments, an unsubscribe link, a verified From)."""

    subject: str = ""
    from_address: str = ""
    verified_domains: tuple[str, ...] = ()
    html: str = ""
    text: str = ""
    attachments: tuple[str, ...] = ()
    blocklist: tuple[str, ...] = ()
    campaign: bool = True
    # Header and MIME facts; only a raw message (.eml) has them.
    message: MessageFacts | None = None

    @property
    def from_domain(self) -> str:
        return self.from_address.rpartition("@")[2].strip().strip(">").lower()


@dataclass
class Context:
    content: Content
    scan: HtmlScan
    links: list[Link] = field(default_factory=list)  # HTML links plus URLs in the text part
    visible_text: str = ""


Check = Callable[[Context, Deadline], list[Reason]]


def _r(code: str, template: str, weight: float = 0.0, forces=Decision.PASS, **params) -> Reason:
    """A reason; a spam signal's weight comes from the fitted table in ``weights.py``."""
    weight = WEIGHTS.get(code, weight)
    return Reason(code=code, template=template, params=params, weight=weight, forces=forces)


# ---------------------------------------------------------------- policy rules (campaigns)


def check_attachments(ctx: Context, deadline: Deadline) -> list[Reason]:
    if not ctx.content.campaign or not ctx.content.attachments:
        return []
    names = ", ".join(str(a) for a in ctx.content.attachments[:5])
    return [
        _r(
            "attachment",
            gettext_noop(
                "Campaigns cannot carry attachments (%(names)s); link to the file instead."
            ),
            forces=Decision.BLOCK,
            names=names,
        )
    ]


def check_from_domain(ctx: Context, deadline: Deadline) -> list[Reason]:
    content = ctx.content
    if not content.campaign or not content.verified_domains:
        return []
    domain = content.from_domain
    if not domain or "." not in domain:
        return [
            _r(
                "from_invalid",
                gettext_noop("The From address %(address)s is not a valid address."),
                forces=Decision.BLOCK,
                address=content.from_address,
            )
        ]
    verified = {d.lower().strip(".") for d in content.verified_domains}
    if domain in verified or any(domain.endswith("." + d) for d in verified):
        return []
    return [
        _r(
            "from_unverified",
            gettext_noop("The From domain %(domain)s is not one of your verified sending domains."),
            forces=Decision.BLOCK,
            domain=domain,
        )
    ]


_UNSUB = re.compile(r"unsubscribe|opt[- ]?out|unsubscribe_url|preferences_url", re.I)


def check_unsubscribe(ctx: Context, deadline: Deadline) -> list[Reason]:
    if not ctx.content.campaign:
        return []
    haystack = " ".join(
        [ctx.visible_text, ctx.content.html[:MAX_HTML_CHARS], ctx.content.text[:MAX_TEXT_CHARS]]
    )
    if _UNSUB.search(haystack):
        return []
    return [_r("no_unsubscribe", gettext_noop("There is no unsubscribe link."), weight=2.0)]


# ---------------------------------------------------------------- links


def check_links(ctx: Context, deadline: Deadline) -> list[Reason]:
    reasons: list[Reason] = []
    seen: set[str] = set()
    sender = ctx.content.from_domain
    blocked = {registrable(d.lower().strip(".")) for d in ctx.content.blocklist if d.strip()}
    counts = {"ip": 0, "short": 0, "bad": 0, "puny": 0, "mismatch": 0, "script": 0, "tld": 0}

    def asks_credentials() -> bool:
        text = f"{ctx.content.subject} {ctx.visible_text}"[:MAX_TEXT_CHARS]
        return bool(phrases.credential_phrase_hits(text))

    for i, link in enumerate(ctx.links[:MAX_LINKS]):
        if i % 50 == 0:
            deadline.check()
        url = parse_url(link.href)
        key = f"{url.scheme}|{url.host}|{link.text[:80]}"
        if key in seen:
            continue
        seen.add(key)
        if url.scheme in {"javascript", "vbscript"}:
            counts["script"] += 1
            if counts["script"] > 1:
                continue  # one reason says it; twenty links need not say it twenty times
            reasons.append(
                _r(
                    "script_url",
                    gettext_noop("A link runs script code (%(scheme)s: URL)."),
                    forces=Decision.BLOCK,
                    scheme=url.scheme,
                )
            )
            continue
        if url.scheme == "data" and link.tag != "img":
            reasons.append(
                _r(
                    "data_url",
                    gettext_noop("A link opens an embedded data: URL instead of a web page."),
                    forces=Decision.BLOCK,
                )
            )
            continue
        if url.scheme in {"mailto", "tel", "sms", "cid", "data", ""} and url.ok and not url.host:
            continue
        if not url.ok:
            counts["bad"] += 1
            if counts["bad"] == 1:
                reasons.append(
                    _r(
                        "bad_url",
                        gettext_noop("A link could not be understood: %(url)s"),
                        weight=2.0,
                        url=link.href[:120],
                    )
                )
            continue
        if not url.host:
            continue
        host = url.host
        if url.is_ip:
            counts["ip"] += 1
            if counts["ip"] == 1:
                reasons.append(
                    _r(
                        "ip_url",
                        gettext_noop(
                            "A link points to a bare IP address (%(host)s) instead of a domain."
                        ),
                        weight=5.0 if link.tag != "text" else 3.0,
                        host=host,
                    )
                )
            reasons.extend(_mismatch(link, host, host, counts))
            continue
        reg = registrable(url.ascii_host)
        if reg in blocked or registrable(host) in blocked:
            reasons.append(
                _r(
                    "blocklisted",
                    gettext_noop("A link points to %(domain)s, which is on the blocklist."),
                    forces=Decision.BLOCK,
                    domain=reg,
                )
            )
            continue
        from mailsoftly.screening.content.brands import SHORTENERS

        if reg in SHORTENERS or url.ascii_host in SHORTENERS:
            counts["short"] += 1
            if counts["short"] == 1:
                reasons.append(
                    _r(
                        "shortener",
                        gettext_noop(
                            "A link goes through the URL shortener %(domain)s, hiding where it leads."
                        ),
                        weight=3.0,
                        domain=reg,
                    )
                )
        if not public_suffix(url.ascii_host):
            # yahoo.comm: a typo or an internal name, a link no reader can follow. Broken,
            # not an imitation (nothing answers there), so it weighs far below a hold.
            counts["tld"] += 1
            if counts["tld"] == 1:
                reasons.append(
                    _r(
                        "invalid_tld",
                        gettext_noop(
                            "A link's domain %(domain)s does not end in a real top-level "
                            "domain, so it cannot be reached."
                        ),
                        weight=1.5,
                        domain=host,
                    )
                )
        look = brand_lookalike(host)
        if look is not None and not (sender and same_owner(host, (sender,))):
            # A brand name composed with a word like "secure" is also how real products
            # get named: it blocks only when the email asks for credentials too.
            serious = look.kind not in {"typo", "brand-phish"} or (
                look.kind == "brand-phish" and asks_credentials()
            )
            reasons.append(
                _r(
                    "lookalike",
                    gettext_noop("The link domain %(domain)s imitates %(brand)s."),
                    weight=0.0 if serious else 5.0,
                    forces=Decision.BLOCK if serious else Decision.PASS,
                    domain=host,
                    brand=look.brand,
                )
            )
        elif url.ascii_host.startswith("xn--") or ".xn--" in url.ascii_host:
            counts["puny"] += 1
            if counts["puny"] == 1:
                reasons.append(
                    _r(
                        "punycode",
                        gettext_noop(
                            "A link uses an internationalised domain (%(domain)s) that may imitate another."
                        ),
                        weight=3.0,
                        domain=host,
                    )
                )
        reasons.extend(_mismatch(link, host, reg, counts))
    return reasons


def _mismatch(link: Link, host: str, reg: str, counts: dict[str, int]) -> list[Reason]:
    """Link text that shows one domain while the href goes to another."""
    from mailsoftly.screening.content.brands import BRANDS

    shown = domain_shown(link.text) if link.tag == "a" else None
    if not shown or registrable(shown) in {reg, registrable(host)}:
        return []
    counts["mismatch"] += 1
    shown_reg = registrable(shown)
    shows_brand = any(shown_reg in {registrable(d) for d in ds} for ds in BRANDS.values())
    if counts["mismatch"] > 1 and not shows_brand:
        return []
    return [
        _r(
            "link_text_mismatch",
            gettext_noop("A link shows %(shown)s but leads to %(domain)s."),
            weight=0.0 if shows_brand else 5.0,
            forces=Decision.BLOCK if shows_brand else Decision.PASS,
            shown=shown,
            domain=host,
        )
    ]


# ---------------------------------------------------------------- credential bait


def check_credentials(ctx: Context, deadline: Deadline) -> list[Reason]:
    scan = ctx.scan
    reasons: list[Reason] = []
    if "password" in scan.inputs:
        reasons.append(
            _r(
                "password_field",
                gettext_noop("The email asks for a password in a form field."),
                forces=Decision.BLOCK,
            )
        )
    if scan.forms:
        reasons.append(
            _r("form", gettext_noop("The email contains a form that submits data."), weight=2.0)
        )
    text = f"{ctx.content.subject} {ctx.visible_text}"
    hits = phrases.credential_phrase_hits(text[:MAX_TEXT_CHARS])
    if hits:
        sender = ctx.content.from_domain
        foreign = sorted(
            {
                p.host if p.is_ip else registrable(p.host)
                for link in ctx.links[:MAX_LINKS]
                if (p := parse_url(link.href)).host
                and not (sender and same_owner(p.host, (sender,)))
            }
        )
        if foreign:
            reasons.append(
                _r(
                    "credential_bait",
                    gettext_noop(
                        'The email says "%(phrase)s" and links to %(domain)s, not the sender\'s domain.'
                    ),
                    weight=6.0,
                    phrase=hits[0],
                    domain=foreign[0],
                )
            )
    return reasons


# ---------------------------------------------------------------- spam signals

_LETTERS = re.compile(r"[^\W\d_]")


def _caps_ratio(text: str) -> float:
    letters = _LETTERS.findall(text)
    if len(letters) < 8:
        return 0.0
    return sum(1 for c in letters if c.isupper()) / len(letters)


def check_subject(ctx: Context, deadline: Deadline) -> list[Reason]:
    subject = ctx.content.subject[:MAX_SUBJECT_CHARS]
    reasons = []
    if _caps_ratio(subject) >= 0.7:
        reasons.append(
            _r("subject_caps", gettext_noop("The subject is written in capitals."), weight=2.75)
        )
    if re.search(r"[!?]{2,}|\${2,}|!.*!", subject) or subject.count("$") >= 2:
        reasons.append(
            _r(
                "subject_punctuation",
                gettext_noop("The subject has excessive punctuation."),
                weight=0.75,
            )
        )
    if re.match(r"\s*adv\b", subject, re.I):
        reasons.append(
            _r("subject_adv", gettext_noop("The subject is labelled as an advert."), weight=6.0)
        )
    if re.search(r"\b(?:free|urgent|save \d|\d+% off)\b|\$\d|\d%|!", subject, re.I):
        reasons.append(
            _r("subject_salesy", gettext_noop("The subject reads like an advert."), weight=1.75)
        )
    return reasons


def check_body_signals(ctx: Context, deadline: Deadline) -> list[Reason]:
    scan, text = ctx.scan, ctx.visible_text[:MAX_TEXT_CHARS]
    reasons = []
    if len(scan.hidden_text) >= 20:
        reasons.append(
            _r(
                "hidden_text",
                gettext_noop("The email hides text from readers (%(chars)s characters)."),
                weight=3.0,
                chars=len(scan.hidden_text),
            )
        )
    if len(scan.tiny_text) >= 20:
        reasons.append(
            _r("tiny_font", gettext_noop("The email uses unreadably small text."), weight=0.5)
        )
    words = len(text.split())
    if scan.images and words < 25:
        reasons.append(
            _r("image_only", gettext_noop("The email is images with almost no text."), weight=5.0)
        )
    if words >= 20 and _caps_ratio(text) >= 0.5:
        reasons.append(
            _r("body_caps", gettext_noop("Most of the text is in capitals."), weight=6.0)
        )
    bangs = text.count("!")
    if bangs >= 8 and bangs * 40 > words:
        reasons.append(
            _r("body_exclaims", gettext_noop("The text is full of exclamation marks."), weight=2.0)
        )
    if scan.has_script:
        reasons.append(_r("script", gettext_noop("The email contains script code."), weight=0.25))
    if ctx.content.html and not ctx.content.text.strip():
        reasons.append(
            _r("html_only", gettext_noop("The email has no plain-text version."), weight=0.4)
        )
    if scan.big_text >= 3:
        reasons.append(
            _r("shouting_fonts", gettext_noop("The email shouts with very large text."), weight=5.5)
        )
    if scan.meta_refresh:
        reasons.append(
            _r(
                "meta_refresh",
                gettext_noop("The email redirects the reader's browser."),
                weight=4.0,
            )
        )
    if scan.font_tags >= 15:
        reasons.append(
            _r(
                "font_soup",
                gettext_noop("The email styles text with many <font> tags."),
                weight=0.25,
            )
        )
    deadline.check()
    hits = phrases.spam_phrase_hits(f"{ctx.content.subject}\n{text}")
    if hits:
        weight = sum(WEIGHTS.get(f"phrases.{name}", 1.0) for name in hits)
        shown = [phrase for found in hits.values() for phrase in found]
        reasons.append(
            Reason(
                code="spam_phrases",
                template=gettext_noop("The wording matches common spam phrases: %(phrases)s."),
                params={
                    "phrases": ", ".join(f'"{h}"' for h in shown[:6]),
                    "classes": ",".join(sorted(hits)),
                },
                weight=min(weight, PHRASE_CLASS_CAP),
            )
        )
    if len(re.findall(r"\b1[-. (]*8(?:00|88|77|66)\)?[-. ]*\d{3}[-. ]*\d{4}\b", text)) >= 1:
        reasons.append(
            _r("toll_free", gettext_noop("The text pushes a toll-free number."), weight=1.75)
        )
    shouted = re.findall(r"\b[A-Z]{4,}\b", text)
    if len(shouted) >= 10 and len(shouted) * 12 > words:
        reasons.append(
            _r("caps_words", gettext_noop("Many words are written in capitals."), weight=3.5)
        )
    if re.search(
        r"(?:\s{4,}|[-_#\[(])[a-z]{0,4}\d{4,}[a-z]{0,4}[\])]?\s*$", ctx.content.subject, re.I
    ):
        reasons.append(
            _r("subject_tracking", gettext_noop("The subject ends in a tracking code."), weight=5.0)
        )
    money = len(re.findall(r"\$\s?\d[\d,]*", text))
    if money >= 3:
        reasons.append(_r("money", gettext_noop("The text is full of dollar amounts."), weight=0.5))
    return reasons


def check_sender(ctx: Context, deadline: Deadline) -> list[Reason]:
    from mailsoftly.screening.content.brands import FREEMAIL

    sender = ctx.content.from_domain
    if not sender:
        return []
    reasons = []
    if registrable(sender) in FREEMAIL or sender in FREEMAIL:
        reasons.append(
            _r(
                "freemail_from",
                gettext_noop(
                    "The From address is at a free mailbox provider (%(domain)s); bulk mail "
                    "from such addresses is rejected by their DMARC policy."
                ),
                weight=1.5,
                domain=sender,
            )
        )
    hosts = set()
    for link in ctx.links[:MAX_LINKS]:
        url = parse_url(link.href)
        if url.host and url.scheme in {"http", "https"}:
            hosts.add(url.host)
    if hosts and not any(same_owner(h, (sender,)) for h in hosts):
        reasons.append(
            _r(
                "offsite_links",
                gettext_noop("No link points to the sender's own domain %(domain)s."),
                weight=0.25,
                domain=registrable(sender),
            )
        )
    return reasons


CHECKS: tuple[Check, ...] = (
    check_attachments,
    check_from_domain,
    check_unsubscribe,
    check_links,
    check_credentials,
    check_sender,
    check_subject,
    check_body_signals,
    check_message,
    check_obfuscation,
    check_wording,
)


# ---------------------------------------------------------------- the screen


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _normalised(content: Content) -> Content:
    return Content(
        subject=_as_text(content.subject),
        from_address=_as_text(content.from_address).strip(),
        verified_domains=tuple(_as_text(d) for d in (content.verified_domains or ())),
        html=_as_text(content.html),
        text=_as_text(content.text),
        attachments=tuple(_as_text(a) for a in (content.attachments or ())),
        blocklist=tuple(_as_text(d) for d in (content.blocklist or ())),
        campaign=bool(content.campaign),
        message=content.message if isinstance(content.message, MessageFacts) else None,
    )


def _too_big(content: Content) -> list[Reason]:
    reasons = []
    if len(content.html) > MAX_HTML_CHARS or len(content.text) > MAX_TEXT_CHARS:
        reasons.append(
            _r(
                "too_large",
                gettext_noop(
                    "The email is too large to screen automatically (%(chars)s characters)."
                ),
                forces=Decision.HOLD,
                chars=len(content.html) + len(content.text),
            )
        )
    return reasons


def _run(check: Check, ctx: Context, seconds: float) -> list[Reason]:
    deadline = Deadline(seconds)
    name = getattr(check, "__name__", "check").removeprefix("check_")
    try:
        reasons = list(check(ctx, deadline))
    except DeadlineExceeded:
        reasons = []
    except Exception as exc:  # a broken check must hold, never pass or crash
        return [
            _r(
                "check_failed",
                gettext_noop("The %(check)s check failed (%(error)s), so a person will review it."),
                forces=Decision.HOLD,
                check=name,
                error=type(exc).__name__,
            )
        ]
    if deadline.expired():
        return [
            _r(
                "timeout",
                gettext_noop("The %(check)s check ran out of time, so a person will review it."),
                forces=Decision.HOLD,
                check=name,
            )
        ]
    return reasons


def screen_content(
    content: Content,
    *,
    check_seconds: float = DEFAULT_CHECK_SECONDS,
    checks: Sequence[Check] | None = None,
    extra_reasons: Sequence[Reason] = (),
) -> Verdict:
    """Screen ``content`` and return its verdict. Never raises; doubt means hold."""
    try:
        content = _normalised(content)
        reasons = _too_big(content)
        scan = HtmlScan()
        if not reasons and content.html:
            deadline = Deadline(check_seconds)
            try:
                scan = scan_html(content.html, deadline)
            except DeadlineExceeded:
                reasons.append(
                    _r(
                        "timeout",
                        gettext_noop(
                            "The %(check)s check ran out of time, so a person will review it."
                        ),
                        forces=Decision.HOLD,
                        check="html",
                    )
                )
            if scan.too_deep:
                reasons.append(
                    _r(
                        "too_deep",
                        gettext_noop("The HTML is nested too deeply to screen automatically."),
                        forces=Decision.HOLD,
                    )
                )
        if not reasons:
            links = list(scan.links)
            for url in urls_in_text(content.text[:MAX_TEXT_CHARS]):
                links.append(Link(href=url, text="", tag="text"))
            visible = " ".join(part for part in (scan.text, content.text) if part)
            ctx = Context(content=content, scan=scan, links=links, visible_text=visible)
            for check in CHECKS if checks is None else checks:
                reasons.extend(_run(check, ctx, check_seconds))
        reasons.extend(extra_reasons)
        return Verdict.from_reasons(reasons)
    except Exception as exc:  # the screen itself must never crash a send
        return Verdict.from_reasons(
            [
                _r(
                    "check_failed",
                    gettext_noop(
                        "The %(check)s check failed (%(error)s), so a person will review it."
                    ),
                    forces=Decision.HOLD,
                    check="screen",
                    error=type(exc).__name__,
                )
            ]
        )
