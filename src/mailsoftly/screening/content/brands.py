"""Brands phishers imitate most, with the domains that really belong to them.

Maintained by hand: add a brand when the operator queue shows it being imitated. Keys are
the brand's name as it appears in a domain label; values are its own registrable domains.
"""

BRANDS: dict[str, tuple[str, ...]] = {
    "paypal": ("paypal.com", "paypal.me", "paypalobjects.com"),
    "apple": ("apple.com", "icloud.com", "me.com"),
    "icloud": ("icloud.com", "apple.com"),
    "microsoft": ("microsoft.com", "live.com", "outlook.com", "office.com", "microsoftonline.com"),
    "office365": ("office.com", "microsoft.com", "office365.com"),
    "outlook": ("outlook.com", "live.com", "microsoft.com"),
    "google": ("google.com", "gmail.com", "youtube.com", "googleusercontent.com"),
    "gmail": ("gmail.com", "google.com"),
    "amazon": ("amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazonaws.com"),
    "netflix": ("netflix.com",),
    "facebook": ("facebook.com", "fb.com", "facebookmail.com"),
    "instagram": ("instagram.com",),
    "whatsapp": ("whatsapp.com",),
    "linkedin": ("linkedin.com",),
    "dropbox": ("dropbox.com",),
    "docusign": ("docusign.com", "docusign.net"),
    "adobe": ("adobe.com",),
    "chase": ("chase.com", "jpmorganchase.com"),
    "wellsfargo": ("wellsfargo.com",),
    "bankofamerica": ("bankofamerica.com",),
    "citibank": ("citibank.com", "citi.com"),
    "hsbc": ("hsbc.com", "hsbc.co.uk"),
    "barclays": ("barclays.com", "barclays.co.uk"),
    "americanexpress": ("americanexpress.com",),
    "mastercard": ("mastercard.com",),
    "visa": ("visa.com",),
    "dhl": ("dhl.com", "dhl.de"),
    "fedex": ("fedex.com",),
    "usps": ("usps.com",),
    "irs": ("irs.gov",),
    "ebay": ("ebay.com", "ebay.co.uk", "ebay.de"),
    "coinbase": ("coinbase.com",),
    "binance": ("binance.com",),
    "metamask": ("metamask.io",),
    "steam": ("steampowered.com", "steamcommunity.com"),
    "yahoo": ("yahoo.com", "yahoo.co.uk", "yahoo.co.jp", "yahoo.fr", "yahoo.de", "ymail.com"),
    "spotify": ("spotify.com",),
    "twitter": ("twitter.com", "x.com"),
    "mailsoftly": ("mailsoftly.com",),
}

# Labels that turn "brand in the domain name" into a phishing pattern.
PHISH_WORDS = (
    "login",
    "logon",
    "signin",
    "secure",
    "verify",
    "verification",
    "account",
    "update",
    "support",
    "billing",
    "wallet",
    "unlock",
    "recovery",
    "confirm",
    "auth",
    "service",
    "help",
)

SHORTENERS = frozenset(
    [
        "bit.ly",
        "bitly.com",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "bl.ink",
        "s.id",
        "v.gd",
        "t.ly",
        "lnkd.in",
        "soo.gd",
        "shorte.st",
        "adf.ly",
        "qr.ae",
        "tr.im",
        "x.co",
        "u.to",
        "clck.ru",
        "snip.ly",
        "mcaf.ee",
        "po.st",
        "db.tt",
        "su.pr",
    ]
)

# Free mailbox providers: bulk mail "from" them fails their DMARC policy and is a classic
# spam pattern, so a campaign From address there counts against it.
FREEMAIL = frozenset(
    [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com",
        "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mail.com",
        "email.com", "gmx.com", "gmx.net", "gmx.de", "web.de", "yandex.ru", "yandex.com",
        "mail.ru", "protonmail.com", "proton.me", "zoho.com", "excite.com", "juno.com",
        "lycos.com", "netscape.net", "earthlink.net", "usa.net", "netzero.net",
        "compuserve.com", "btinternet.com", "rediffmail.com", "qq.com", "163.com",
    ]
)  # fmt: skip
