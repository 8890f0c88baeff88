"""Tenant isolation on every endpoint that takes an id (policies P01, P02).

1. Every URL pattern in the resolver (walked through every include, so API routes too)
   whose pattern takes an id-like argument must be registered in
   :data:`tests.isolation.routes.ROUTES` from some ``tests/<app>/isolation.py``, or be
   exempt with a reason. A new unregistered route fails here.
2. Each registered route is called, with every registered method, by a signed-in member
   of workspace A using the ids of workspace B's objects. The answer must be 404 or 403,
   and nothing of B's may have changed.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, UUIDConverter
from django.urls.resolvers import RoutePattern

from mailsoftly.core.regions import is_regional
from tests.isolation.routes import EXEMPT, EXEMPT_NAMESPACES, ROUTES

TESTS_DIR = Path(__file__).resolve().parent.parent
ID_CONVERTERS = (IntConverter, UUIDConverter, SlugConverter)
ID_NAMES = {"pk", "id", "uuid", "slug", "key", "token"}
ID_SUFFIXES = ("_id", "_pk", "_uuid", "_slug", "_key", "_token")


def _load_registrations() -> None:
    for module in sorted(TESTS_DIR.glob("*/isolation.py")):
        importlib.import_module(f"tests.{module.parent.name}.isolation")


_load_registrations()


def _id_like(name: str, converter) -> bool:
    return isinstance(converter, ID_CONVERTERS) or name in ID_NAMES or name.endswith(ID_SUFFIXES)


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            # The resolver's own prefix may capture an id too (e.g. "<int:pk>/", include()).
            own = _arguments(entry.pattern)
            for sub_prefix, sub_ns, name, args in _walk(
                entry.url_patterns, prefix + str(entry.pattern), inner
            ):
                yield sub_prefix, sub_ns, name, {**own, **args}
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry.name, _arguments(entry.pattern)


def _arguments(pattern) -> dict:
    if isinstance(pattern, RoutePattern):
        return dict(pattern.converters)
    return dict.fromkeys(pattern.regex.groupindex)


def id_routes() -> dict[str, str]:
    """URL name -> pattern, for every pattern with an id-like argument."""
    found = {}
    for pattern, namespace, name, args in _walk(get_resolver().url_patterns):
        if any(_id_like(arg, conv) for arg, conv in args.items()):
            full = f"{namespace}{name}" if name else f"{namespace}<unnamed {pattern}>"
            found[full] = pattern
    return found


def _exempt(name: str) -> bool:
    return name in EXEMPT or (name.split(":", 1)[0] in EXEMPT_NAMESPACES and ":" in name)


@pytest.mark.policy("P01", "P02")
def test_every_route_that_takes_an_id_is_covered():
    missing = {
        name: pattern
        for name, pattern in id_routes().items()
        if name not in ROUTES and not _exempt(name)
    }
    assert not missing, (
        "These URL patterns take an id but have no entry in tests/<app>/isolation.py "
        f"(tests.isolation.routes.route) and are not exempt: {missing}"
    )


def test_registrations_name_real_routes():
    known = id_routes()
    stale = sorted(set(ROUTES) - set(known))
    assert not stale, f"Registered in ROUTES but no such id-taking URL pattern: {stale}"


def test_the_enumeration_sees_nested_and_regex_patterns():
    # Guards the walker itself: a namespaced include and allauth's regex patterns.
    routes = id_routes()
    assert "teams:member_remove" in routes
    assert "account_confirm_email" in routes


def test_an_unregistered_id_route_is_reported(settings):
    settings.ROOT_URLCONF = "tests.isolation.leaky_urls"
    routes = id_routes()
    assert set(routes) == {"leaky:thing", "leaky:<unnamed nested/things/<uuid:ref>/>"}
    assert all(name not in ROUTES and not _exempt(name) for name in routes)


def _snapshot(workspace, user) -> dict:
    """Every row that belongs to ``workspace`` (both databases), plus its owner's account."""
    from mailsoftly.audit.models import AuditEvent
    from mailsoftly.teams.models import Workspace

    state = {}
    for model in apps.get_models():
        if model is AuditEvent:  # append-only log; refusals may add rows by design
            continue
        manager = model._base_manager
        field_names = {f.name for f in model._meta.concrete_fields}
        if is_regional(model):
            if "workspace" not in field_names:
                continue
            rows = manager.using(workspace.database).filter(workspace_id=workspace.pk)
        elif model is Workspace:
            rows = manager.filter(pk=workspace.pk)
        elif model._meta.label == user._meta.label:
            rows = manager.filter(pk=user.pk)
        elif "workspace" in field_names:
            rows = manager.filter(workspace_id=workspace.pk)
        else:
            continue
        state[model._meta.label] = sorted(
            (repr(sorted(row.items())) for row in rows.values()), key=str
        )
    return state


def _cases():
    for name, entry in sorted(ROUTES.items()):
        for method in entry.methods:
            yield pytest.param(entry, method, id=f"{name}-{method}")


@pytest.mark.policy("P01", "P02")
@pytest.mark.parametrize(("entry", "method"), list(_cases()))
def test_another_workspaces_object_is_404_or_403_and_unchanged(db, client, entry, method):
    from mailsoftly.teams.services import workspace_create
    from tests.factories import UserFactory

    user_a = UserFactory()
    workspace_a = workspace_create(owner=user_a, name="Workspace A")
    user_b = UserFactory()
    workspace_b = workspace_create(owner=user_b, name="Workspace B")
    kwargs = entry.build(workspace_b, user_b)
    before = _snapshot(workspace_b, user_b)

    client.force_login(user_a)
    session = client.session
    session["workspace_id"] = workspace_a.pk
    session.save()
    url = reverse(entry.name, kwargs=kwargs)
    call = getattr(client, method)
    headers = entry.headers(workspace_a, user_a) if entry.headers else {}
    if method == "get":
        response = call(url, headers=headers)
    elif entry.name.startswith("api"):
        response = call(
            url, data=entry.data or {}, content_type="application/json", headers=headers
        )
    else:
        response = call(url, data=entry.data or {}, headers=headers)

    assert response.status_code in (403, 404), (
        f"{method.upper()} {url} as a member of another workspace answered {response.status_code}"
    )
    assert _snapshot(workspace_b, user_b) == before
