"""URL and domain helpers: parsing any odd URL form, registrable domains, lookalikes."""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mailsoftly.screening.content.brands import BRANDS

# Names reserved for documentation and testing (RFC 2606, RFC 6761): not on the Public
# Suffix List, but not a typo either; treated as one-label suffixes.
RESERVED_SUFFIXES = ("example", "test", "invalid", "localhost")


@functools.lru_cache(maxsize=1)
def _suffixes():
    import tldextract

    # The Public Suffix List snapshot bundled with tldextract: never fetched over the
    # network (no suffix_list_urls) and never written to disk (no cache_dir).
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, extra_suffixes=RESERVED_SUFFIXES
    )


@functools.lru_cache(maxsize=16384)
def public_suffix(host: str) -> str:
    """``news.example.co.uk`` → ``co.uk``; ``""`` when the host ends in no real suffix
    (``yahoo.comm``, ``intranet``): such a name cannot resolve on the Internet."""
    host = host.lower().strip(".")
    if not host:
        return ""
    return _suffixes()(host).suffix


# Letters from other scripts (and digits) that render like Latin letters. NFKC folds the
# fullwidth and mathematical forms first; this table covers what NFKC leaves alone.
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",  # noqa: RUF001
        "ј": "j", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ѕ": "s", "ԛ": "q", "ԝ": "w",  # noqa: RUF001
        "ɑ": "a", "ο": "o", "α": "a", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "τ": "t",  # noqa: RUF001
        "υ": "u", "χ": "x", "ε": "e", "ѵ": "v", "ɩ": "l", "ƚ": "l", "ı": "i", "ȷ": "j",  # noqa: RUF001
        "0": "o", "1": "l", "3": "e", "5": "s", "4": "a", "7": "t", "8": "b",
    }
)  # fmt: skip

_URL_IN_TEXT = re.compile(r"""(?i)\b((?:https?://|www\.)[^\s<>"'`]{2,2000})""")
_DOMAIN_LIKE = re.compile(
    r"(?i)^(?:https?://)?(?:www\.)?((?:[a-z0-9\u00a1-\uffff-]+\.)+[a-z\u00a1-\uffff]{2,63})(?:[/:?#]\S*)?$"
)


@dataclass(frozen=True)
class ParsedUrl:
    raw: str
    scheme: str
    host: str  # lower-case, IDNA-decoded to Unicode where possible
    ascii_host: str
    is_ip: bool
    ok: bool  # False when the URL could not be understood at all


def _clean(raw: str) -> str:
    # Browsers drop ASCII whitespace and control characters anywhere in a URL.
    return re.sub(r"[\x00-\x20\x7f]", "", raw or "")


def parse_url(raw: str) -> ParsedUrl:
    text = _clean(raw)
    lowered = text.lower()
    scheme = ""
    m = re.match(r"^([a-z][a-z0-9+.\-]*):", lowered)
    if m:
        scheme = m.group(1)
    if scheme in {"javascript", "data", "vbscript", "file"}:
        return ParsedUrl(raw, scheme, "", "", False, True)
    if lowered.startswith("//"):
        text, scheme = "http:" + text, "http"
    elif lowered.startswith("www."):
        text, scheme = "http://" + text, "http"
    if scheme not in {"http", "https", "ftp"}:
        return ParsedUrl(raw, scheme, "", "", False, True)
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ParsedUrl(raw, scheme, "", "", False, False)
    host = unquote(host).strip(".").lower()
    is_ip = _is_ip(host)
    ascii_host, unicode_host = host, host
    if not is_ip:
        try:
            unicode_host = host.encode("ascii").decode("idna") if "xn--" in host else host
        except (UnicodeError, ValueError):
            unicode_host = host
        try:
            ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except (UnicodeError, ValueError):
            ascii_host = host
    return ParsedUrl(raw, scheme, unicode_host, ascii_host, is_ip, bool(host))


def _is_ip(host: str) -> bool:
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate)
        return True
    except ValueError:
        pass
    # Decimal, hex and octal forms browsers still accept: http://3232235777/, 0xC0.0xA8...
    return bool(re.fullmatch(r"(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}", candidate))


@functools.lru_cache(maxsize=16384)
def registrable(host: str) -> str:
    """``mail.news.example.co.uk`` → ``example.co.uk``: the part a registrant owns, by the
    Public Suffix List. A host with no real suffix keeps its last two labels."""
    labels = [label for label in host.lower().strip(".").split(".") if label]
    suffix = public_suffix(".".join(labels)) if labels else ""
    if suffix:
        n = suffix.count(".") + 1
        return ".".join(labels[-(n + 1) :]) if len(labels) > n else suffix
    return ".".join(labels[-2:])


def same_owner(host: str, domains: set[str] | tuple[str, ...]) -> bool:
    reg = registrable(host)
    return any(reg == registrable(d) for d in domains)


@functools.lru_cache(maxsize=8192)
def skeleton(label: str) -> str:
    """A label reduced to what it looks like: NFKC, confusables folded, marks dropped."""
    folded = unicodedata.normalize("NFKC", label).lower().translate(_CONFUSABLE)
    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("rn", "m").replace("vv", "w").replace("-", "").replace("_", "")


def _edit_distance_one(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        # one transposition
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass(frozen=True)
class Lookalike:
    brand: str
    kind: str  # "skeleton", "embedded", "typo", "brand-phish"


@functools.lru_cache(maxsize=4096)
def brand_lookalike(host: str) -> Lookalike | None:
    """The brand ``host`` imitates without belonging to it, if any."""
    from mailsoftly.screening.content.brands import PHISH_WORDS

    host = host.lower().strip(".")
    if not public_suffix(host):
        # yahoo.comm, paypal.local: a name no resolver answers cannot lead a reader to a
        # fake site; the engine flags the broken suffix on its own, more mildly.
        return None
    reg = registrable(host)
    labels = host.split(".")
    owner_label = reg.split(".")[0] if reg else ""
    for domains in BRANDS.values():
        if reg in {registrable(d) for d in domains}:
            return None
    for brand, domains in BRANDS.items():
        own = {registrable(d) for d in domains}
        if reg in own:
            continue
        sk, brand_sk = skeleton(owner_label), skeleton(brand)
        if sk == brand_sk and owner_label != brand:
            return Lookalike(brand, "skeleton")
        if owner_label == brand and reg not in own:
            # paypal.support, apple.xyz: the brand's name on another suffix.
            return Lookalike(brand, "skeleton")
        # paypal.com.account-check.net: the real domain dressed up as a subdomain.
        for d in domains:
            d_labels = d.split(".")
            for i in range(len(labels) - len(d_labels)):
                if labels[i : i + len(d_labels)] == d_labels:
                    return Lookalike(brand, "embedded")
        if len(brand) >= 6 and _edit_distance_one(sk, brand_sk):
            return Lookalike(brand, "typo")
        parts = [skeleton(p) for p in re.split(r"[-.]", host) if p]
        if brand_sk in parts and any(p in PHISH_WORDS for p in parts if p != brand_sk):
            return Lookalike(brand, "brand-phish")
        if any(p.startswith(brand_sk) and p[len(brand_sk) :] in PHISH_WORDS for p in parts):
            return Lookalike(brand, "brand-phish")
    return None


def urls_in_text(text: str, limit: int = 500) -> list[str]:
    found = []
    for match in _URL_IN_TEXT.finditer(text):
        found.append(match.group(1).rstrip(".,;:!?)]}'\""))
        if len(found) >= limit:
            break
    return found


def domain_shown(text: str) -> str | None:
    """The domain a link's visible text claims to lead to, if it looks like one."""
    candidate = text.strip().strip("<>[]()\"'")
    if not candidate or " " in candidate or len(candidate) > 300:
        return None
    m = _DOMAIN_LIKE.match(candidate)
    if not m:
        return None
    host = m.group(1).lower()
    tld = host.rsplit(".", 1)[-1]
    # "index.html", "file.pdf", "v1.2": file names and versions are not domains.
    if tld in {"html", "htm", "php", "asp", "aspx", "pdf", "jpg", "png", "gif", "txt", "zip"}:
        return None
    if tld.isdigit():
        return None
    return host
