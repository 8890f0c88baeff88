"""Building one campaign's messages: frozen content rendered per recipient into the MIME
skeleton, signed with the sending domain's DKIM keys."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.urls import reverse

from mailsoftly.campaigns.models import Campaign
from mailsoftly.designs.mergetags import RenderError
from mailsoftly.designs.rendering import CompiledDesign
from mailsoftly.sending.engine import ComposeError, Recipient
from mailsoftly.sending.mime import Envelope, Skeleton
from mailsoftly.sending.models import DkimKey
from mailsoftly.tracking.tagging import Tracker

_SALT = "mailsoftly.campaigns.unsubscribe"


def unsubscribe_token(*, region: str, delivery_id: int) -> str:
    return signing.Signer(salt=_SALT).sign(f"{region}.{delivery_id}")


def unsubscribe_token_read(token: str) -> tuple[str, int] | None:
    """(region, delivery id) from a token, or None for anything forged or malformed."""
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
        region, _, raw_id = value.partition(".")
        return region, int(raw_id)
    except (signing.BadSignature, ValueError):
        return None


def message_id(*, campaign: Campaign, delivery_id: int, domain: str) -> str:
    """Derived from the delivery: a resend after a crash carries the same Message-ID."""
    return f"<{campaign.workspace.region}.{campaign.pk}.{delivery_id}@{domain}>"


class Composer:
    """``compose(recipient) -> Envelope`` for one campaign."""

    def __init__(self, *, campaign: Campaign) -> None:
        self.campaign = campaign
        self.region = campaign.workspace.region
        domain = campaign.from_email.rpartition("@")[2].lower()
        self.domain = domain
        signers = tuple(
            key.signer()
            for key in DkimKey.objects.for_workspace(campaign.workspace).filter(domain=domain)
        )
        self.skeleton = Skeleton(
            from_name=campaign.from_name,
            from_email=campaign.from_email,
            reply_to=campaign.reply_to,
            list_id=f"{campaign.name} <campaign-{campaign.pk}.ws-{campaign.workspace_id}.{domain}>",
            feedback_id=f"{campaign.pk}:{campaign.workspace_id}:mailsoftly",
            signers=signers,
        )
        self.design = CompiledDesign(
            subject=campaign.content_subject,
            html=campaign.content_html,
            text=campaign.content_text,
        )
        self.base_url = settings.BASE_URL.rstrip("/")
        self.mailto = getattr(settings, "SENDING_UNSUBSCRIBE_MAILTO", "")
        # Page tags (P13): per-recipient click links, open pixel and honeypot, unless the
        # workspace switched tracking off.
        self.tracker = Tracker(campaign=campaign)

    @functools.cached_property
    def _url_parts(self) -> dict[str, tuple[str, str]]:
        # reverse() costs about 0.2 ms; per message it is the same URL around a new token.
        marker = "MAILSOFTLYTOKEN"
        parts = {}
        for name in ("campaigns:unsubscribe", "tracking:preferences"):
            head, _marker, tail = reverse(name, args=[marker]).partition(marker)
            parts[name] = (self.base_url + head, tail)
        return parts

    def _url(self, name: str, token: str) -> str:
        head, tail = self._url_parts[name]
        return head + token + tail

    def unsubscribe_url(self, delivery_id: int) -> str:
        token = unsubscribe_token(region=self.region, delivery_id=delivery_id)
        return self._url("campaigns:unsubscribe", token)

    def preferences_url(self, delivery_id: int) -> str:
        token = unsubscribe_token(region=self.region, delivery_id=delivery_id)
        return self._url("tracking:preferences", token)

    def __call__(self, recipient: Recipient) -> Envelope:
        url = self.unsubscribe_url(recipient.key)
        try:
            rendered = self.design.render(
                {
                    "contact": recipient.data,
                    "unsubscribe_url": url,
                    "preferences_url": self.preferences_url(recipient.key),
                }
            )
        except RenderError as exc:
            raise ComposeError(str(exc)) from exc
        html = self.tracker.tag_html(rendered.html, recipient.key)
        text = self.tracker.tag_text(rendered.text, recipient.key)
        mailto = ""
        if self.mailto:
            mailto = f"mailto:{self.mailto}?subject=unsubscribe%20{self.region}.{recipient.key}"
        return self.skeleton.build(
            key=recipient.key,
            to_name=recipient.name,
            to_email=recipient.email,
            subject=rendered.subject,
            text=text,
            html=html,
            message_id=message_id(
                campaign=self.campaign, delivery_id=recipient.key, domain=self.domain
            ),
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
            extra_headers=((b"X-Mailsoftly-Delivery", f"{self.region}.{recipient.key}".encode()),),
        )
