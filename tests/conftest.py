"""Shared fixtures. Real services wherever they run on this machine.

* Every database test sees both databases (the directory/US ``default`` and ``eu``).
* Celery runs tasks eagerly unless a test asks for the real worker (``celery_worker_real``).
* ``smtp_server`` is a real aiosmtpd server on a free port that keeps the MIME it receives.
* ``browser_page`` drives Debian's Chromium through Playwright against ``live_server``.
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.plugins.policy_report", "tests.plugins.smtp", "tests.plugins.browser"]


def pytest_collection_modifyitems(items):
    """Open every database to every DB test, so regional rows can be written in tests."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_db = {"db", "transactional_db", "live_server", "django_db_reset_sequences"} & set(
            getattr(item, "fixturenames", ())
        )
        if marker is None and not uses_db:
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if "live_server" in getattr(item, "fixturenames", ()) or "transactional_db" in getattr(
            item, "fixturenames", ()
        ):
            kwargs["transaction"] = True
        kwargs.setdefault("databases", "__all__")
        item.add_marker(
            pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False
        )


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    from mailsoftly.config.celery import app

    # A test that starts a real worker makes its own Celery app the current one; put ours
    # back, or later .delay() calls would go to that app's (gone) broker.
    app.set_current()
    app.set_default()
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 costs ~0.3 s a hash on this machine; tests that don't test hashing use MD5.

    Tests marked ``@pytest.mark.argon2`` keep the production hashers.
    """
    if request.node.get_closest_marker("argon2") is None:
        settings.PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.MD5PasswordHasher",
            *settings.PASSWORD_HASHERS,
        ]


@pytest.fixture(scope="session")
def _cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _fresh_cache(settings, _cache_dir):
    """Rate limits and throttles live in the cache: every test starts from an empty one.

    The embedded file cache gets a folder of this test process's own, so parallel runs on
    one machine do not clear each other's entries.
    """
    from django.core.cache import cache

    default = settings.CACHES["default"]
    if default["BACKEND"].endswith("FileBasedCache"):
        settings.CACHES = {"default": {**default, "LOCATION": str(_cache_dir)}}
    cache.clear()
    yield


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def workspace(user):
    from mailsoftly.teams.services import workspace_create

    return workspace_create(owner=user, name="Acme")


@pytest.fixture
def eu_workspace(user):
    from mailsoftly.teams.services import workspace_create

    return workspace_create(owner=user, name="Acme EU", region="eu")


@pytest.fixture
def logged_in_client(client, user, workspace):
    from tests.clients import signed_in

    return signed_in(client, user, workspace)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL (the second CI run sets it)")
    return url


@pytest.fixture
def unlimited_plan(request, workspace):
    """Not autouse: puts ``workspace`` (and ``eu_workspace`` when the test uses it) on an
    operator plan without limits, for tests about something other than plan limits.
    Apply it per test folder (that folder's conftest) or per test; returns the helper for
    further workspaces. Enforcement itself is proven in tests/billing/test_enforcement.py.
    """
    from tests.billing.plans import workspace_unlimited

    workspace_unlimited(workspace)
    if "eu_workspace" in request.fixturenames:
        workspace_unlimited(request.getfixturevalue("eu_workspace"))
    return workspace_unlimited
