"""Which messenger carries a workspace's campaign mail.

In order: the campaign's chosen server, the workspace's default server, the global
``SMTP_URL`` (setting ``SENDING_SMTP_URL``), and otherwise the regional capture.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote, urlsplit

from django.conf import settings

from mailsoftly.sending.messengers import (
    CaptureMessenger,
    Messenger,
    Security,
    SmtpConfig,
    SmtpMessenger,
)
from mailsoftly.sending.models import SmtpServer
from mailsoftly.sending.ratelimit import limiter_for


def smtp_config_from_url(url: str, *, max_connections: int = 8) -> SmtpConfig:
    """``smtp://``, ``smtp+starttls://`` or ``smtps://user:pass@host:port``."""
    parts = urlsplit(url)
    security = {"smtps": Security.TLS, "smtp+starttls": Security.STARTTLS}.get(
        parts.scheme, Security.NONE
    )
    default_port = {Security.TLS: 465, Security.STARTTLS: 587}.get(security, 25)
    return SmtpConfig(
        host=parts.hostname or "localhost",
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        max_connections=max_connections,
    )


def _shared(config: SmtpConfig, share: int) -> SmtpConfig:
    """This sender's part of the server's connections when ``share`` senders use it."""
    if share <= 1:
        return config
    return replace(config, max_connections=max(1, -(-config.max_connections // share)))


def messenger_for(
    *,
    workspace,
    server: SmtpServer | None = None,
    campaign_id: int | None = None,
    share: int = 1,
) -> Messenger:
    """``share``: how many senders (processes) use the server at once for this campaign;
    each opens its part of the server's maximum connections."""
    if server is None:
        server = SmtpServer.objects.for_workspace(workspace).order_by("-is_default", "id").first()
    if server is not None:
        config = _shared(server.config(), share)
        key = f"{workspace.region}.{server.pk}"
        return SmtpMessenger(config, limiter=limiter_for(key=key, rate=config.rate_per_second))
    url = getattr(settings, "SENDING_SMTP_URL", None)
    if url:
        config = _shared(smtp_config_from_url(url), share)
        key = f"url.{config.host}:{config.port}"
        return SmtpMessenger(config, limiter=limiter_for(key=key, rate=config.rate_per_second))
    return CaptureMessenger(workspace=workspace, campaign_id=campaign_id)


def uses_capture(*, workspace) -> bool:
    return not (
        getattr(settings, "SENDING_SMTP_URL", None)
        or SmtpServer.objects.for_workspace(workspace).exists()
    )
