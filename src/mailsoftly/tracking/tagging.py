"""Page tags written at send time: per-recipient click links, open pixel and honeypot.

The sending engine builds one :class:`Tracker` per campaign and calls
:meth:`Tracker.tag_html` / :meth:`Tracker.tag_text` on each rendered message. Links are
registered once per distinct destination (a ``Link`` row); each recipient's copy points at
``/c/<token>`` whose signed token names the delivery and the link. Tracking switched off
for the workspace or for the campaign's design leaves the message exactly as written.
"""

from __future__ import annotations

import functools
import html as html_lib
import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from mailsoftly.tracking import tokens

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_TEXT_URL = re.compile(r"""https?://[^\s<>"')\]]+""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
HONEYPOT_URL = "mailsoftly:honeypot"


# Stands in for a token while reversing the URL patterns once: it matches the token
# converter and Django quotes nothing in it, so reverse(token) == prefix + token + suffix.
_PLACEHOLDER = "TOKEN0placeholder0TOKEN"


@functools.cache
def _url_parts(script_prefix: str, urlconf: str) -> tuple[str, str, str]:
    """(click prefix, open prefix, open suffix), reversed once per script prefix and URLconf.

    ``reverse()`` costs about 0.2 ms and a message needs a dozen tracking URLs, so
    they are built by concatenation around a token instead (byte-identical output).
    """
    click = reverse("tracking:click", args=[_PLACEHOLDER], urlconf=urlconf)
    opened = reverse("tracking:open", args=[_PLACEHOLDER], urlconf=urlconf)
    click_prefix, click_suffix = click.split(_PLACEHOLDER)
    open_prefix, open_suffix = opened.split(_PLACEHOLDER)
    if click_suffix:  # a converter or pattern change that this shortcut does not know
        raise RuntimeError(f"unexpected tracking click URL shape: {click!r}")
    return click_prefix, open_prefix, open_suffix


def _trackable(url: str, base_url: str) -> bool:
    lowered = url.strip().lower()
    if not lowered.startswith(("http://", "https://")):
        return False
    # Our own links (unsubscribe, preferences, web version) are never wrapped.
    return not lowered.startswith(base_url.lower())


class Tracker:
    def __init__(self, *, campaign, enabled: bool | None = None) -> None:
        from mailsoftly.tracking.selectors import tracking_enabled_for
        from mailsoftly.tracking.services import collects_ip, link_get_or_create

        self.campaign = campaign
        self.region = campaign.workspace.region
        self.base_url = settings.BASE_URL.rstrip("/")
        self.enabled = tracking_enabled_for(campaign=campaign) if enabled is None else enabled
        self.collect_ip = collects_ip(campaign)
        self._link_for = link_get_or_create
        self._links: dict[str, int] = {}
        click_prefix, open_prefix, self._open_suffix = _url_parts(
            get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
        )
        self._click_prefix = f"{self.base_url}{click_prefix}"
        self._open_prefix = f"{self.base_url}{open_prefix}"
        if self.enabled:
            self.honeypot_id = link_get_or_create(
                campaign=campaign, url=HONEYPOT_URL, is_honeypot=True
            ).pk

    def link_id(self, url: str) -> int:
        found = self._links.get(url)
        if found is None:
            found = self._links[url] = self._link_for(campaign=self.campaign, url=url).pk
        return found

    def click_url(self, delivery_id: int, link_id: int) -> str:
        token = tokens.click_token(region=self.region, delivery_id=delivery_id, link_id=link_id)
        return self._click_prefix + token

    def open_url(self, delivery_id: int) -> str:
        token = tokens.open_token(
            region=self.region, delivery_id=delivery_id, collect_ip=self.collect_ip
        )
        return f"{self._open_prefix}{token}{self._open_suffix}"

    def tag_html(self, html: str, delivery_id: int) -> str:
        if not self.enabled:
            return html

        def rewrite(match: re.Match) -> str:
            url = html_lib.unescape(match.group(3)).strip()
            if not _trackable(url, self.base_url):
                return match.group(0)
            quote = match.group(2)
            return f"{match.group(1)}{quote}{self.click_url(delivery_id, self.link_id(url))}{quote}"

        tagged = _HREF.sub(rewrite, html)
        tags = (
            f'<a href="{self.click_url(delivery_id, self.honeypot_id)}" '
            'style="display:none!important;font-size:0;line-height:0" aria-hidden="true" '
            'tabindex="-1"></a>'
            f'<img src="{self.open_url(delivery_id)}" width="1" height="1" alt="" '
            'style="display:block;border:0;width:1px;height:1px">'
        )
        if _BODY_END.search(tagged):
            return _BODY_END.sub(lambda m: tags + m.group(0), tagged, count=1)
        return tagged + tags

    def tag_text(self, text: str, delivery_id: int) -> str:
        if not self.enabled:
            return text

        def rewrite(match: re.Match) -> str:
            url = match.group(0)
            trailing = ""
            while url and url[-1] in ".,;:!?":
                trailing, url = url[-1] + trailing, url[:-1]
            if not _trackable(url, self.base_url):
                return match.group(0)
            return self.click_url(delivery_id, self.link_id(url)) + trailing

        return _TEXT_URL.sub(rewrite, text)
