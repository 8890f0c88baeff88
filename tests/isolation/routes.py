"""The registry behind the cross-workspace isolation test.

Every URL pattern that takes an object id must be registered here, from the app's own
``tests/<app>/isolation.py``::

    from tests.isolation.routes import route

    @route("contacts:contact_detail", methods=("get", "post"))
    def _contact(workspace, user):
        # create the object in ``workspace`` (which belongs to someone else)
        return {"pk": ContactFactory(workspace=workspace).pk}

The isolation test (tests/isolation/test_isolation.py) calls each route as a member of
another workspace with these ids and expects 404 or 403 and nothing changed. A pattern
with an id argument and no entry here fails that test.

``data`` is sent with every non-GET method (form fields or a JSON body for API routes), so
a route that would act on valid input is called with valid input. ``headers`` (optional)
is called as ``headers(workspace_a, user_a)`` and returns extra request headers for the
caller from workspace A, e.g. ``{"Authorization": "Bearer <A's API key>"}`` for API routes
that do not use the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    name: str
    build: Callable  # (workspace, user) -> dict of URL kwargs
    methods: tuple[str, ...]
    data: dict | None = None
    headers: Callable | None = None  # (workspace_a, user_a) -> dict of request headers


ROUTES: dict[str, Route] = {}

# URL names whose id is not a workspace object (documented why), exempt from the test.
EXEMPT: dict[str, str] = {
    "web:outbox_detail": "platform staff only; not workspace data",
    "web:outbox_html": "platform staff only; not workspace data",
    "account_confirm_email": "allauth: the key is an emailed confirmation secret, not an id",
    "account_reset_password_from_key": "allauth: emailed password-reset secret, not an id",
    "accounts:unsubscribe": "signed link that opts an account out of platform mail (P19); "
    "not workspace data",
    "designs:public": "the public web version of an email its owner explicitly published "
    "(P01); unpublishing makes the slug 404 (tests/designs/test_publish.py)",
    "teams:billing_details_request": "signed link emailed only to the workspace's billing "
    "contact; holding it is the authorisation (P21, tests/teams/test_billing.py)",
}

# Whole namespaces exempt, with the reason.
EXEMPT_NAMESPACES: dict[str, str] = {
    "admin": "Django admin: staff only, guarded by its own permissions, not tenant-scoped UI",
}


def route(name: str, *, methods: tuple[str, ...] = ("get",), data: dict | None = None) -> Callable:
    def register(build: Callable) -> Callable:
        ROUTES[name] = Route(name, build, methods, data)
        return build

    return register
