"""Writes of the sending app: SMTP servers, sender identities, DKIM keys, test sends."""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.billing.services import limit_check
from mailsoftly.core import clock
from mailsoftly.sending import dkim
from mailsoftly.sending.messengers import Outcome, SmtpMessenger
from mailsoftly.sending.mime import Skeleton
from mailsoftly.sending.models import BounceHook, DkimKey, SenderIdentity, SmtpServer

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SELECTOR = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

SMTP_FIELDS = (
    "name",
    "host",
    "port",
    "security",
    "username",
    "max_connections",
    "rate_limit_per_second",
    "is_default",
)


def _single_default(server: SmtpServer) -> None:
    if server.is_default:
        SmtpServer.objects.for_workspace(server.workspace).exclude(pk=server.pk).update(
            is_default=False
        )


def smtp_server_create(*, workspace, password: str = "", **fields) -> SmtpServer:
    """Add an SMTP server to a workspace; the password is stored encrypted (P04).

    Each server counts as one SMTP pool of the plan (``LimitExceeded`` past it, nothing written).
    """
    limit_check(workspace=workspace, resource="smtp_pools", amount=1)
    with transaction.atomic(using=workspace.database):
        server = SmtpServer.objects.for_workspace(workspace).create(
            workspace=workspace, password=password, **{k: fields[k] for k in fields}
        )
        _single_default(server)
    return server


def smtp_server_update(*, server: SmtpServer, password: str | None = None, **fields) -> SmtpServer:
    """Change a server. ``password=None`` keeps the stored one (forms never echo it)."""
    for name, value in fields.items():
        if name not in SMTP_FIELDS:
            raise ValueError(f"unknown SMTP server field {name!r}")
        setattr(server, name, value)
    if password is not None:
        server.password = password
    with transaction.atomic(using=server.workspace.database):
        server.save()
        _single_default(server)
    return server


def smtp_server_trash(*, server: SmtpServer, by_user_id: int | None = None) -> None:
    SmtpServer.objects.for_workspace(server.workspace).filter(pk=server.pk).move_to_trash(
        by_user_id=by_user_id
    )


def sender_identity_create(
    *, workspace, from_name: str, from_email: str, reply_to: str = ""
) -> SenderIdentity:
    """Add a From identity to a workspace."""
    return SenderIdentity.objects.for_workspace(workspace).create(
        workspace=workspace, from_name=from_name, from_email=from_email, reply_to=reply_to
    )


def dkim_key_generate(
    *, workspace, domain: str, selector: str = "", algorithm: str = dkim.RSA
) -> DkimKey:
    """Generate a DKIM key for ``domain``; the private key is kept encrypted (P04).

    Raises ValueError with a message for the user on a bad domain or selector.
    """
    domain = domain.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValueError(_("Enter a domain name such as example.com."))
    selector = selector or f"ms{clock.now():%Y%m}{'e' if algorithm == dkim.ED25519 else ''}"
    selector = selector.strip().lower()
    if not _SELECTOR.match(selector):
        raise ValueError(_("A selector has only letters, digits and hyphens."))
    if algorithm not in (dkim.RSA, dkim.ED25519):
        raise ValueError(_("Choose RSA-2048 or Ed25519."))
    if DkimKey.objects.for_workspace(workspace).filter(domain=domain, selector=selector).exists():
        raise ValueError(_("This domain already has a key with that selector."))
    pair = dkim.key_generate(algorithm)
    return DkimKey.objects.for_workspace(workspace).create(
        workspace=workspace,
        domain=domain,
        selector=selector,
        algorithm=algorithm,
        private_key=pair.private_pem,
        public_key=pair.public_b64,
    )


def dkim_key_trash(*, key: DkimKey, by_user_id: int | None = None) -> None:
    DkimKey.objects.for_workspace(key.workspace).filter(pk=key.pk).move_to_trash(
        by_user_id=by_user_id
    )


@dataclass(frozen=True)
class TestSendResult:
    ok: bool
    message: str


def smtp_server_test_send(
    *, server: SmtpServer, to_email: str, from_email: str, from_name: str = "Mailsoftly"
) -> TestSendResult:
    """Send one short message through ``server`` now, and say what happened.

    Runs outside any transaction; meant for the settings page's "send test" button.
    """
    signers = tuple(
        key.signer()
        for key in DkimKey.objects.for_workspace(server.workspace).filter(
            domain=from_email.rpartition("@")[2].lower()
        )
    )
    skeleton = Skeleton(
        from_name=from_name,
        from_email=from_email,
        list_id=f"Test <test.{server.workspace_id}.mailsoftly>",
        feedback_id=f"test:{server.workspace_id}:mailsoftly",
        signers=signers,
    )
    envelope = skeleton.build(
        key=0,
        to_name="",
        to_email=to_email,
        subject=_("Mailsoftly test message"),
        text=_("This is a test message from your Mailsoftly SMTP settings."),
        html="<p>" + _("This is a test message from your Mailsoftly SMTP settings.") + "</p>",
        message_id=f"<test.{clock.now():%Y%m%d%H%M%S%f}@{skeleton.domain}>",
        unsubscribe_url="https://example.invalid/unsubscribe",
    )
    config = server.config()
    messenger = SmtpMessenger(
        type(config)(**{**config.__dict__, "max_connections": 1, "timeout": 15.0})
    )
    try:
        messenger.push(envelope)
        (result,) = messenger.flush()
    except smtplib.SMTPException as exc:  # pragma: no cover - messenger classifies these
        return TestSendResult(False, str(exc))
    finally:
        messenger.close()
    if result.outcome == Outcome.SENT:
        return TestSendResult(True, _("The server accepted the test message."))
    return TestSendResult(
        False,
        _("The server did not accept the message: %(detail)s")
        % {"detail": f"{result.code or ''} {result.detail}".strip()},
    )


def _token_hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def bounce_hook_create(*, workspace, name: str) -> tuple[BounceHook, str]:
    """A new bounce hook; returns it and its token, which is shown once and kept hashed."""
    import secrets

    # A label only: control characters (NUL, CR/LF) are dropped rather than stored.
    name = "".join(ch for ch in (name or "") if ch.isprintable()).strip()[:120] or _("Bounce hook")
    token = f"bh_{workspace.region}_{secrets.token_urlsafe(32)}"
    hook = BounceHook.objects.for_workspace(workspace).create(
        workspace=workspace, name=name, token_hash=_token_hash(token), token_hint=token[:12]
    )
    return hook, token


def bounce_hook_trash(*, hook: BounceHook, by_user_id: int | None = None) -> None:
    BounceHook.objects.for_workspace(hook.workspace).filter(pk=hook.pk).move_to_trash(
        by_user_id=by_user_id
    )


def bounce_hook_authenticate(*, token: str) -> BounceHook | None:
    """The live hook for ``token``, looked up in the region the token names, or None."""
    from mailsoftly.core.regions import REGION_DATABASES
    from mailsoftly.teams.models import Workspace

    parts = (token or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "bh" or parts[1] not in REGION_DATABASES:
        return None
    hook = (
        BounceHook.objects.dangerously_all_workspaces(parts[1])
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if hook is None:
        return None
    workspace = Workspace.objects.filter(pk=hook.workspace_id).first()
    if workspace is None:
        return None
    hook.workspace = workspace
    BounceHook.objects.for_workspace(workspace).filter(pk=hook.pk).update(last_used_at=clock.now())
    return hook
