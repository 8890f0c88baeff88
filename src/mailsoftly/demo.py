"""The demo seed: a login and a workspace that shows off what Mailsoftly does.

``seed()`` is idempotent: running it again refreshes the demo password and leaves the rest
in place. Each capability adds its own step to :data:`STEPS` as it lands.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_WORKSPACE = "Demo workspace"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    email: str
    password: str
    workspace_id: int


STEPS: list[Callable] = []


def step(func: Callable) -> Callable:
    """Register a seeding step: ``func(workspace=..., user=...)``, idempotent."""
    STEPS.append(func)
    return func


def _app_position(func: Callable) -> int:
    """Steps run in INSTALLED_APPS order (designs and contacts before campaigns), whatever
    order their modules happened to be imported in."""
    from django.apps import apps

    names = [config.name for config in apps.get_app_configs()]
    owners = [i for i, name in enumerate(names) if func.__module__.startswith(name + ".")]
    return owners[-1] if owners else len(names)


def seed() -> DemoLogin:
    from allauth.account.models import EmailAddress

    from mailsoftly.accounts.models import User
    from mailsoftly.teams.models import Membership, Workspace
    from mailsoftly.teams.services import workspace_create

    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user, _ = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": DEMO_EMAIL, "is_staff": True}
        )
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        membership = (
            Membership.objects.filter(user=user, workspace__name=DEMO_WORKSPACE)
            .select_related("workspace")
            .first()
        )
        workspace: Workspace = (
            membership.workspace
            if membership
            else workspace_create(owner=user, name=DEMO_WORKSPACE)
        )
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    _demo_plan(workspace)
    for seed_step in sorted(STEPS, key=_app_position):
        seed_step(workspace=workspace, user=user)
    return DemoLogin(DEMO_USERNAME, DEMO_EMAIL, password, workspace.pk)


def _demo_plan(workspace) -> None:
    """Put the demo workspace on the biggest offered plan: the demo shows every feature and
    seeds more than the free plan's limits allow (plan limits are enforced in services)."""
    try:
        from mailsoftly.billing.models import Subscription, SubscriptionStatus
        from mailsoftly.billing.selectors import plan_list
    except ImportError:
        return
    plan = plan_list().order_by("-position").first()
    if plan is not None:
        Subscription.objects.update_or_create(
            workspace=workspace, defaults={"plan": plan, "status": SubscriptionStatus.ACTIVE}
        )


def print_login(login: DemoLogin) -> None:
    print(
        "\n  Demo login\n"
        f"    username: {login.username}  (or {login.email})\n"
        f"    password: {login.password}\n",
        flush=True,
    )
