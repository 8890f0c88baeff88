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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    name: str
    build: Callable  # (workspace, user) -> dict of URL kwargs
    methods: tuple[str, ...]


ROUTES: dict[str, Route] = {}

# URL names whose id is not a workspace object (documented why), exempt from the test.
EXEMPT: dict[str, str] = {
    "web:outbox_detail": "platform staff only; not workspace data",
    "web:outbox_html": "platform staff only; not workspace data",
}


def route(name: str, *, methods: tuple[str, ...] = ("get",)) -> Callable:
    def register(build: Callable) -> Callable:
        ROUTES[name] = Route(name, build, methods)
        return build

    return register
