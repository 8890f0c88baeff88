"""Writes and checks for API keys.

A token reads ``msk_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole
token must match. A key works only while it is not revoked or expired, its creator's
account is active and the creator is still an active member of the key's workspace — so
removing a member or disabling an account stops their keys at once, with no clean-up run.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mailsoftly.api.models import ApiKey
from mailsoftly.core import clock
from mailsoftly.teams.models import Membership

RESOURCES = (
    "contacts",
    "lists",
    "segments",
    "fields",
    "designs",
    "campaigns",
    "reports",
    "suppression",
    "webhooks",
    "transactional",
    "imports",
    "exports",
)
ACCESS = ("read", "write")
ALL_SCOPES = tuple(f"{r}:{a}" for r in RESOURCES for a in ACCESS)
TOKEN_PREFIX = "msk_"  # noqa: S105 (a public marker, not a secret)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_key_create(
    *,
    workspace,
    user,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plain token, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValidationError({"scopes": _("Unknown scopes: %(s)s.") % {"s": ", ".join(unknown)}})
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationError({"expires_at": _("Choose a time in the future.")})
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        workspace=workspace,
        created_by=user,
        name=name[:100],
        prefix=prefix,
        secret_hash=_hash(token),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return key, token


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Stop the key at once (idempotent)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=clock.now())


def api_keys_revoke_for_user(*, user) -> int:
    """Revoke every key a user created (their account was disabled)."""
    return ApiKey.objects.filter(created_by=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


def api_key_authenticate(*, token: str, ip: str | None = None) -> ApiKey | None:
    """The usable key behind ``token``, or None. Records the last use (time and IP)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    prefix = token[len(TOKEN_PREFIX) :].split("_", 1)[0]
    key = ApiKey.objects.filter(prefix=prefix).select_related("workspace", "created_by").first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)):
        return None
    now = clock.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if not key.created_by.is_active or key.workspace.trashed_at is not None:
        return None
    member = Membership.objects.filter(
        workspace_id=key.workspace_id,
        user_id=key.created_by_id,
        disabled_at__isnull=True,
        trashed_at__isnull=True,
    ).exists()
    if not member:
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip or None)
    return key


def api_key_allows(api_key: ApiKey, resource: str, access: str) -> bool:
    """Whether the key's scopes grant ``access`` ("read"/"write") on ``resource``."""
    scopes = set(api_key.scopes)
    if f"{resource}:write" in scopes:
        return True
    return access == "read" and f"{resource}:read" in scopes
