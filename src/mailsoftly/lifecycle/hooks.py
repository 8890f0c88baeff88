"""Hooks other apps plug into when an account is disabled, restored or purged.

An app ships ``<app>/lifecycle_hooks.py`` (found by autodiscovery) and decorates plain
functions, for example::

    from mailsoftly.lifecycle.hooks import on_account_disabled

    @on_account_disabled
    def revoke_api_keys(*, user) -> None:
        ApiKey.objects.filter(user=user).update(revoked_at=clock.now())

* ``on_account_disabled(user=)``: right after the deletion request commits (revoke API
  keys, cancel scheduled campaigns, stop sending).
* ``on_account_restored(user=)``: staff restored the account within the grace period.
* ``on_account_purge(user=)``: just before the account row is deleted for good.
* ``on_workspace_purge(workspace=)``: just before a workspace's content is deleted.

A failing hook is logged and does not undo the disabling: the account must be off at
once even if, say, a sending queue is down. Hooks must therefore be idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

_HOOKS: dict[str, list[Callable]] = {
    "account_disabled": [],
    "account_restored": [],
    "account_purge": [],
    "workspace_purge": [],
}


def _register(kind: str) -> Callable:
    def decorator(func: Callable) -> Callable:
        _HOOKS[kind].append(func)
        return func

    return decorator


on_account_disabled = _register("account_disabled")
on_account_restored = _register("account_restored")
on_account_purge = _register("account_purge")
on_workspace_purge = _register("workspace_purge")


@cache
def _discover() -> None:
    autodiscover_modules("lifecycle_hooks")


def run(kind: str, *, strict: bool = False, **kwargs) -> list[str]:
    """Run every hook of ``kind``; returns the names of hooks that failed.

    ``strict`` hooks (purges) re-raise: deleting for good must not skip a step.
    """
    _discover()
    failed = []
    for func in _HOOKS[kind]:
        try:
            func(**kwargs)
        except Exception:
            if strict:
                raise
            logger.exception("lifecycle hook %s.%s failed", func.__module__, func.__qualname__)
            failed.append(f"{func.__module__}.{func.__qualname__}")
    return failed
