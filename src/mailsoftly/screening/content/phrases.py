"""Wording that bulk spam and credential phishing lean on.

Each entry is a regular expression matched case-insensitively against subject and visible
text, counted once per message however often it occurs. Written for this project. Each class
has one weight (``weights.py``), fitted on labelled mail by ``benchmarks/screening.py``.
"""

from __future__ import annotations

import re

# Phrases grouped by the kind of pitch they belong to. The screen scores a class once, however
# many of its phrases match: ten ways of saying "make money" are one signal, not ten.
SPAM_PHRASE_CLASSES: dict[str, tuple[str, ...]] = {
    # Get-rich pitches: income from home, schemes, "financial freedom".
    "money_making": (
        r"\bbe your own boss\b",
        r"\bearn (?:extra )?(?:cash|money|\$)",
        r"\bextra income\b",
        r"\bget paid\b",
        r"\bhome[- ]based business\b",
        r"\bwork (?:from|at) home\b",
        r"\bmake (?:big |serious |more )?money\b",
        r"\bmlm\b|\bmulti-?level marketing\b",
        r"\bfinancial freedom\b|\bfinancially independent\b",
        r"\binvestment opportunity\b",
        r"\bdouble your\b",
        r"\bper (?:week|month|day)\b.{0,40}\$\d|\$\d[\d,]*(?:\.\d\d)? (?:per|a) (?:week|month|day)\b",
        r"\bcash bonus\b",
        r"\bincrease (?:your )?(?:sales|traffic)\b",
        r"\bmillions? (?:of )?(?:dollars|e-?mail addresses)\b",
    ),
    # Loans, debt, credit and stock tips.
    "finance": (
        r"\bcredit (?:card debt|repair|report)\b",
        r"\bmortgage (?:rates?|refinanc\w*)\b",
        r"\brefinanc(?:e|ing) (?:now|today)\b",
        r"\bdebt consolidation\b|\bconsolidate (?:your )?debt\b|\bbe debt[- ]free\b",
        r"\bpre-?approved\b",
        r"\bno credit check\b",
        r"\bhot (?:stock|pick)s?\b|\bstock (?:alert|pick)s?\b",
        r"\blow(?:est)? (?:interest )?rates?\b.{0,40}\b(?:loan|mortgage|credit)\b",
    ),
    # Pills, weight loss and adult content.
    "pharma_adult": (
        r"\bviagra\b|\bcialis\b|\bphentermine\b|\bvalium\b|\bxanax\b",
        r"\bcheap(?:est)? (?:meds|pills|viagra|software)\b",
        r"\blose (?:weight|\d+ ?(?:lbs|pounds))\b|\bweight loss\b",
        r"\bmeet (?:hot|sexy) singles\b",
        r"\b(?:porn|xxx|hardcore|sluts?|horny|nude|naked)\b",
        r"\b(?:live|web) ?cam (?:girls|sex)\b",
        r"\b(?:penis|breast) (?:enlargement|enhancement)\b",
    ),
    # Advance-fee fraud: secret transfers, inheritances, lotteries.
    "advance_fee": (
        r"\b(?:this|the) (?:business )?transaction\b.{0,200}\b(?:assistance|confidential|cooperation)\b",
        r"\bstrictly confidential\b|\btransfer (?:of )?(?:the )?(?:sum|funds?) of\b",
        r"\bwire transfer\b|\bnext of kin\b|\bbeneficiary\b",
        r"\binternational lottery\b|\blottery\b",
        r"\bnigeria\b|\bcentral bank\b",
        r"\bseek your (?:assistance|help|co-?operation)\b",
        r"\b(?:us\$|usd) ?\d[\d,.]*(?: ?million)?\b",
        r"\b\d+(?:\.\d+)? million (?:united states |us )?dollars\b",
        r"\blate (?:general|president|husband|father)\b",
    ),
    # What bulk mailers write to look lawful: removal instructions and compliance claims.
    "bulk_notice": (
        r"\bremove\b.{0,40}\b(?:subject line|from (?:our|this|the|future)|your (?:name|address|e-?mail))\b",
        r"\bwith the word \W?remove\b|\bremove\W? (?:in|as) the subject\b",
        r"\bfrom (?:further|future) (?:mailings|e-?mails|offers|correspondence)\b",
        r"\b(?:to be|be) removed\b|\bremove (?:me|from (?:our|this|the) (?:list|mailing))\b"
        r"|\bremoval instructions\b",
        r"\bsent in compliance\b|\bbill s\.? ?1618\b|\bsection 301\b",
        r"\b(?:unsolicited|bulk) (?:e-?mail|commercial)\b",
        r"\bopt[- ]?in (?:list|e-?mail)\b|\bemail marketing\b",
        r"\bnot spam\b|\bthis is not (?:an? )?(?:spam|unsolicited)\b",
    ),
    # Urgency and pressure to act.
    "pressure": (
        r"\bact now\b",
        r"\bapply (?:now|online|today)\b",
        r"\bcall (?:now|today|toll[- ]free)\b",
        r"\border (?:now|today)\b",
        r"\bbuy (?:now|direct)\b",
        r"\blimited[- ]time (?:offer|only)\b",
        r"\bonce in a lifetime\b",
        r"\bsupplies are limited\b|\bwhile supplies last\b",
        r"\bdon'?t (?:delay|miss out)\b",
    ),
    # Promises no honest seller needs to make.
    "promises": (
        r"\b(?:100|one hundred) ?% (?:free|guaranteed|satisfied|natural|legal)\b",
        r"\bmoney[- ]back\b",
        r"\bsatisfaction guaranteed\b",
        r"\brisk[- ]free\b",
        r"\bno (?:catch|cost|fees|obligation|purchase necessary|experience)\b",
        r"\bno (?:hidden|setup) (?:costs|fees)\b",
        r"\bwhy pay more\b",
        r"\baccept credit cards\b",
        r"\byou (?:have been|were|are) (?:selected|chosen|a winner)\b",
        r"\bspecial promotion\b",
        r"\bguaranteed?\b",
    ),
    # The greeting of mail sent to someone whose name the sender does not know.
    "anonymous_greeting": (
        r"\bdear (?:friend|sir(?: or |\s*/\s*)madam|sirs?\b|valued customer|user|member)\b",
    ),
    # Generic calls to click and free offers: common in wanted mail too, so weak.
    "click_free": (
        r"\bclick (?:here|below|the link)\b",
        r"\bfree (?:access|gift|info|information|offer|quote|trial|consultation|membership"
        r"|preview|cd|dvd)\b",
        r"\bour products\b|\bwe offer\b",
        r"\bcopy ?dvd\b|\bcable (?:tv )?descrambler\b",
    ),
}

CREDENTIAL_PHRASES: tuple[str, ...] = (
    r"\bverify (?:your )?(?:account|identity|email|e-mail|information|details)\b",
    r"\bconfirm (?:your )?(?:account|identity|password|billing|payment|details)\b",
    r"\b(?:account|mailbox) (?:has been |will be )?(?:suspended|locked|disabled|limited|deactivated|closed)\b",
    r"\bunusual (?:sign-?in )?activity\b|\bsuspicious (?:activity|login|sign-?in)\b",
    r"\bupdate (?:your )?(?:payment|billing|account) (?:information|details|method)\b",
    r"\b(?:re-?)?enter (?:your )?password\b|\bpassword (?:expires?|expired)\b",
    r"\blog ?in (?:now |immediately )?to (?:avoid|restore|keep|prevent)\b",
)

_SPAM = tuple(
    (name, tuple(re.compile(p, re.I) for p in patterns))
    for name, patterns in SPAM_PHRASE_CLASSES.items()
)
_CRED = tuple(re.compile(p, re.I) for p in CREDENTIAL_PHRASES)


def spam_phrase_hits(text: str) -> dict[str, list[str]]:
    """For each phrase class that matches ``text``, the phrases it matched there."""
    hits: dict[str, list[str]] = {}
    for name, patterns in _SPAM:
        found = [m.group(0) for rx in patterns if (m := rx.search(text))]
        if found:
            hits[name] = found
    return hits


def credential_phrase_hits(text: str) -> list[str]:
    return [m.group(0) for rx in _CRED if (m := rx.search(text))]
