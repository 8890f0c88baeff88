"""Wording that bulk spam and credential phishing lean on.

Each entry is a regular expression matched case-insensitively against subject and visible
text, counted once per message however often it occurs. Written for this project. The
weight says how strongly a phrase alone points at spam (3: rarely in wanted mail).
"""

from __future__ import annotations

import re

SPAM_PHRASES: tuple[tuple[str, float], ...] = (
    (r"\bact now\b", 3.0),
    (r"\bapply (?:now|online|today)\b", 3.0),
    (r"\bbe your own boss\b", 2.0),
    (r"\bcall (?:now|today|toll[- ]free)\b", 2.0),
    (r"\bcash bonus\b", 2.0),
    (r"\bcheap(?:est)? (?:meds|pills|viagra|software)\b", 2.0),
    (r"\bclick (?:here|below|the link)\b", 1.0),
    (r"\bcredit (?:card debt|repair|report)\b", 3.0),
    (r"\bdear (?:friend|sir(?: or |\s*/\s*)madam|valued customer)\b", 3.0),
    (r"\bwhy pay more\b", 2.0),
    (r"\bdear sir\b", 1.0),
    (
        r"\bremove\b.{0,40}\b(?:subject line|from (?:our|this|the|future)|your (?:name|address|e-?mail))\b",
        3.0,
    ),
    (r"\bwith the word \W?remove\b|\bremove\W? (?:in|as) the subject\b", 3.0),
    (r"\bfrom (?:further|future) (?:mailings|e-?mails|offers|correspondence)\b", 2.0),
    (
        r"\b(?:this|the) (?:business )?transaction\b.{0,200}\b(?:assistance|confidential|cooperation)\b",
        3.0,
    ),
    (r"\bstrictly confidential\b|\btransfer (?:of )?(?:the )?(?:sum|funds?) of\b", 3.0),
    (r"\b(?:us\$|usd) ?\d[\d,.]*(?: ?million)?\b", 1.5),
    (r"\bour products\b|\bwe offer\b", 1.0),
    (r"\bdouble your\b", 2.0),
    (r"\bearn (?:extra )?(?:cash|money|\$)", 3.0),
    (r"\bextra income\b", 3.0),
    (
        r"\bfree (?:access|gift|info|information|offer|quote|trial|consultation|membership|preview|cd|dvd)\b",
        1.0,
    ),
    (r"\b(?:100|one hundred) ?% (?:free|guaranteed|satisfied|natural|legal)\b", 3.0),
    (r"\bget paid\b", 2.0),
    (r"\bguaranteed?\b", 1.0),
    (r"\bhome[- ]based business\b", 3.0),
    (r"\bincrease (?:your )?(?:sales|traffic)\b", 3.0),
    (r"\binvestment opportunity\b", 2.0),
    (r"\blimited[- ]time (?:offer|only)\b", 3.0),
    (r"\blose (?:weight|\d+ ?(?:lbs|pounds))\b", 3.0),
    (r"\bmake money\b", 3.0),
    (r"\bmeet (?:hot|sexy) singles\b", 2.0),
    (r"\bmillions? (?:of )?(?:dollars|e-?mail addresses)\b", 2.0),
    (r"\bmlm\b|\bmulti-?level marketing\b", 3.0),
    (r"\bmoney[- ]back\b", 3.0),
    (r"\bmortgage (?:rates?|refinanc\w*)\b", 3.0),
    (r"\bno (?:catch|cost|fees|obligation|purchase necessary|credit check|experience)\b", 3.0),
    (r"\bnot spam\b|\bthis is not (?:an? )?(?:spam|unsolicited)\b", 3.0),
    (r"\bonce in a lifetime\b", 2.0),
    (r"\border (?:now|today)\b", 3.0),
    (r"\bpre-?approved\b", 2.0),
    (r"\brisk[- ]free\b", 2.0),
    (r"\bspecial promotion\b", 2.0),
    (r"\byou (?:have been|were|are) (?:selected|chosen|a winner)\b", 2.0),
    (r"\bwork (?:from|at) home\b", 3.0),
    (r"\bviagra\b|\bcialis\b|\bphentermine\b|\bvalium\b|\bxanax\b", 3.0),
    (r"\bwire transfer\b|\bnext of kin\b|\bbeneficiary\b", 2.0),
    (
        r"\b(?:to be|be) removed\b|\bremove (?:me|from (?:our|this|the) (?:list|mailing))\b|\bremoval instructions\b",
        3.0,
    ),
    (r"\bsent in compliance\b|\bbill s\.? ?1618\b|\bsection 301\b", 3.0),
    (r"\b(?:unsolicited|bulk) (?:e-?mail|commercial)\b", 3.0),
    (r"\bopt[- ]?in (?:list|e-?mail)\b|\bemail marketing\b", 3.0),
    (
        r"\bper (?:week|month|day)\b.{0,40}\$\d|\$\d[\d,]*(?:\.\d\d)? (?:per|a) (?:week|month|day)\b",
        2.0,
    ),
    (r"\bfinancial freedom\b|\bbe debt[- ]free\b|\bfinancially independent\b", 3.0),
    (r"\bno (?:hidden|setup) (?:costs|fees)\b", 2.0),
    (r"\bsatisfaction guaranteed\b", 3.0),
    (r"\bbuy (?:now|direct)\b", 2.0),
    (r"\baccept credit cards\b", 3.0),
    (r"\bhot (?:stock|pick)s?\b|\bstock (?:alert|pick)s?\b", 2.0),
    (r"\bsupplies are limited\b|\bwhile supplies last\b", 2.0),
    (r"\brefinanc(?:e|ing) (?:now|today)\b", 2.0),
    (r"\bdebt consolidation\b|\bconsolidate (?:your )?debt\b", 2.0),
    (r"\bcopy ?dvd\b|\bcable (?:tv )?descrambler\b", 3.0),
    (r"\binternational lottery\b|\blottery\b", 2.0),
    (r"\bnigeria\b|\bcentral bank\b", 2.0),
)

CREDENTIAL_PHRASES: tuple[str, ...] = (
    r"\bverify (?:your )?(?:account|identity|email|e-mail|information|details)\b",
    r"\bconfirm (?:your )?(?:account|identity|password|billing|payment|details)\b",
    r"\b(?:account|mailbox) (?:has been |will be )?(?:suspended|locked|disabled|limited|deactivated|closed)\b",
    r"\bunusual (?:sign-?in )?activity\b|\bsuspicious (?:activity|login|sign-?in)\b",
    r"\bupdate (?:your )?(?:payment|billing|account) (?:information|details|method)\b",
    r"\b(?:re-?)?enter (?:your )?password\b|\bpassword (?:expires?|expired)\b",
    r"\blog ?in (?:now |immediately )?to (?:avoid|restore|keep|prevent)\b",
)

_SPAM = tuple((re.compile(p, re.I), w) for p, w in SPAM_PHRASES)
_CRED = tuple(re.compile(p, re.I) for p in CREDENTIAL_PHRASES)


def spam_phrase_hits(text: str) -> list[tuple[str, float]]:
    """(matched text, weight) for each phrase rule that matches ``text``."""
    return [(m.group(0), w) for rx, w in _SPAM if (m := rx.search(text))]


def credential_phrase_hits(text: str) -> list[str]:
    return [m.group(0) for rx in _CRED if (m := rx.search(text))]
