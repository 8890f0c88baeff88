"""Bad input never gets a 500, on any route (the quality bar in docs/conventions.md).

For every URL pattern of the project (walked like tests/isolation does), as the Primary
Admin of a workspace with data, and again signed out for the public routes:

* GET the page with real ids of the user's own objects (from the isolation registry's
  builders) and with garbage the converter lets through (unknown ids, ``abc``, NUL, CR/LF,
  a 64-bit overflow, 3,000-character strings);
* POST hostile bodies: empty, blank and missing fields, 100 kB strings, CR/LF, NUL,
  Unicode lookalikes, negative and huge numbers, repeated values; JSON endpoints also get
  malformed JSON and wrong types, through POST, PUT and PATCH.

Every answer must be below 500. After an obviously invalid body (NUL in every field)
that was refused or re-rendered (2xx/4xx), the key tables must hold as many rows as
before: nothing half-written. ``test_the_crawler_catches_a_planted_server_error`` proves
the crawler fails when a view raises.

Known 500s in apps this test's author may not change are listed in ``KNOWN_500`` and
``xfail``-ed with the bug named, so the rest of the crawl still guards the project.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connections, transaction

from tests.web import _crawl

# Routes not crawled, with the reason.
SKIPPED: dict[str, str] = {
    "google_login_by_token": "verifies the token against Google over HTTP (off the machine)",
    "facebook_login_by_token": "verifies the token against Facebook over HTTP (off the machine)",
}
SKIPPED_NAMESPACES: dict[str, str] = {
    "admin": "Django's own admin, staff only; not our views",
}

# Routes whose anonymous callers are the point (links in mail, public pages, hooks).
PUBLIC = {
    "tracking:open",
    "tracking:click",
    "tracking:preferences",
    "campaigns:unsubscribe",
    "contacts:subscribe",
    "contacts:subscribe_confirm",
    "designs:archive",
    "designs:archive_feed",
    "designs:public",
    "designs:media_file",
    "bounce_hooks:receive",
    "billing:webhook",
    "billing:fake_checkout",
    "accounts:unsubscribe",
    "teams:invitation_open",
    "teams:billing_details_request",
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_confirm_email",
    "account_reset_password_from_key",
    "account_confirm_login_code",
    "mfa_authenticate",
    "ops:policy",
    "api:contact",
    "api:contact_list",
    "api:transactional_send",
    "api:not_found",
}

# Statuses of 500 and above that are a route's contract, not a crash.
ALLOWED_STATUS: dict[str, set[int]] = {
    "readyz": {503},  # the readiness probe says "not ready" while a dependency is down
}

# Known 500s in apps this test's author may not change: route -> [(a piece of the
# failing request or of the traceback's last frame, the bug)]. Such a case is xfail-ed;
# any other 500 on the same route still fails. Remove an entry once its bug is fixed.
KNOWN_500: dict[str, list[tuple[str, str]]] = {}

KEY_MODELS = (
    "contacts.Contact",
    "contacts.ContactList",
    "contacts.Segment",
    "contacts.CustomField",
    "contacts.Suppression",
    "designs.Design",
    "designs.Template",
    "campaigns.Campaign",
    "sending.SmtpServer",
    "sending.SenderIdentity",
    "webhooks.WebhookEndpoint",
    "teams.Membership",
    "teams.Invitation",
    "api.ApiKey",
)


def _crawled_patterns() -> list[_crawl.Pattern]:
    by_path: dict[str, _crawl.Pattern] = {}
    for pat in _crawl.patterns():
        namespace = pat.name.split(":", 1)[0] if ":" in pat.name else ""
        if pat.name in SKIPPED or namespace in SKIPPED_NAMESPACES:
            continue
        by_path.setdefault(pat.pattern, pat)  # API list/create share one path
    return sorted(by_path.values(), key=lambda p: (p.name, p.pattern))


PATTERNS = _crawled_patterns()


def _param(pat: _crawl.Pattern):
    return pytest.param(pat, id=pat.name)


def _counts(workspace) -> dict[str, int]:
    counts = {}
    for label in KEY_MODELS:
        model = apps.get_model(label)
        manager = getattr(model, "all_rows", model._base_manager)
        if hasattr(manager, "for_workspace"):
            rows = manager.for_workspace(workspace)
        else:
            rows = model._base_manager.filter(workspace_id=workspace.pk)
        counts[label] = rows.count()
    return counts


def _real_kwargs(pat: _crawl.Pattern, workspace, user) -> dict | None:
    from tests.isolation.routes import ROUTES

    entry = ROUTES.get(pat.name)
    if entry is None:
        return None
    return entry.build(workspace, user)


@pytest.fixture
def member(db, client, user, workspace):
    """The signed-in Primary Admin of a workspace with data, and an API key for it."""
    from tests.api.helpers import auth, make_key, subscribe_pro
    from tests.campaigns.helpers import make_campaign, make_list, people

    subscribe_pro(workspace)
    contact_list, _contacts = make_list(workspace, people(3, domain="crawl.example"))
    make_campaign(workspace, contact_list)
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    client.raise_request_exception = False
    return client, auth(make_key(workspace, user)[1])


class _Guarded:
    """The test client, with every request in a savepoint on every open transaction.

    On PostgreSQL a view that dies on a database error leaves the test's transaction
    aborted; rolling back to the savepoint keeps the rest of the crawl (and the row
    counts) working, the way a real request's own transaction would end.
    """

    def __init__(self, client):
        self.client = client

    def __getattr__(self, method):
        call = getattr(self.client, method)

        def send(*args, **kwargs):
            open_ = [c for c in connections.all(initialized_only=True) if c.in_atomic_block]
            points = [(c, transaction.savepoint_create(using=c.alias)) for c in open_]
            response = call(*args, **kwargs)
            for connection, point in points:
                if response.status_code >= 500:
                    connection.needs_rollback = False  # what leaving an atomic block does
                    transaction.savepoint_rollback(point, using=connection.alias)
                else:
                    transaction.savepoint_commit(point, using=connection.alias)
            return response

        return send


def crawl(client, pat: _crawl.Pattern, *, real_kwargs=None, headers=None, counts=None):
    """Send every GET and hostile body for one pattern; the findings say what broke."""
    findings = _crawl.Findings()
    headers = headers or {}
    client = _Guarded(client)
    urls = _crawl.urls_for(pat, real_kwargs)
    html = ""
    for number, (label, url) in enumerate(urls):
        response = client.get(url, headers=headers)
        _crawl.check(findings, "GET", url, label, response)
        if number == 0:
            html = _crawl.page_text(response)
    if not urls:
        return findings
    target = urls[0][1]

    if pat.is_api:
        for method in ("post", "put", "patch"):
            for label, raw in _crawl.hostile_json_bodies(None, malformed=method == "post"):
                response = getattr(client, method)(
                    target, data=raw, content_type="application/json", headers=headers
                )
                _crawl.check(findings, method.upper(), target, label, response)
        response = client.delete(target, headers=headers)
        _crawl.check(findings, "DELETE", target, "none", response)
    else:
        forms = _crawl.form_fields(html, target)
        for label, data in _crawl.hostile_form_bodies(forms, None):
            invalid = counts is not None and label.endswith(_crawl.OBVIOUSLY_INVALID)
            before = counts() if invalid else None
            response = client.post(target, data=data, headers=headers)
            _crawl.check(findings, "POST", target, label, response)
            refused_or_rerendered = response.status_code < 300 or response.status_code >= 400
            if before is not None and refused_or_rerendered:
                after = counts()
                if after != before:
                    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                    findings.half_writes.append(
                        f"POST {target} [{label}] -> {response.status_code} wrote {changed}"
                    )
        # A JSON body where a form is expected (htmx, fetch) must not break the view.
        response = client.post(target, data="{", content_type="application/json")
        _crawl.check(findings, "POST", target, "malformed-json", response)
    # Garbage ids through the write path too (one per argument is enough: GET tried all).
    tried = set()
    for label, url in urls[1:]:
        argument = label.split("=", 1)[0]
        if argument in tried:
            continue
        tried.add(argument)
        response = client.post(url, data={}, headers=headers)
        _crawl.check(findings, "POST", url, f"empty@{label}", response)
    return findings


def _assert_clean(findings: _crawl.Findings, name: str = "") -> None:
    """No unexpected 500 and no half-write; known bugs (KNOWN_500) end the test as xfail."""
    assert findings.requests > 0
    allowed = ALLOWED_STATUS.get(name, set())
    known, unexpected = [], []
    for failure in findings.failures:
        if failure.status in allowed:
            continue
        text = f"{failure} {failure.body}"
        bugs = [bug for piece, bug in KNOWN_500.get(name, []) if piece in text]
        (known if bugs else unexpected).append((failure, bugs))
    findings.failures = [failure for failure, _bugs in unexpected]
    assert not findings.failures, "Server errors:\n" + "\n".join(map(str, findings.failures))
    assert not findings.half_writes, "Half-writes:\n" + "\n".join(findings.half_writes)
    if known:
        bugs = sorted({bug for _failure, found in known for bug in found})
        pytest.xfail(f"known 500 ({len(known)} requests): " + "; ".join(bugs))


@pytest.mark.parametrize("pat", [_param(p) for p in PATTERNS])
def test_bad_input_never_gets_a_server_error(member, user, workspace, pat):
    client, api_headers = member
    real = _real_kwargs(pat, workspace, user)
    findings = crawl(
        client,
        pat,
        real_kwargs=real,
        headers=api_headers if pat.is_api else None,
        counts=lambda: _counts(workspace),
    )
    _assert_clean(findings, pat.name)


@pytest.mark.parametrize("pat", [_param(p) for p in PATTERNS if p.name in PUBLIC])
def test_public_routes_with_garbage_never_get_a_server_error(db, client, pat):
    client.raise_request_exception = False
    _assert_clean(crawl(client, pat), pat.name)


def test_every_public_route_is_crawled():
    names = {p.name for p in PATTERNS}
    assert names >= PUBLIC, f"Not in the resolver any more: {sorted(PUBLIC - names)}"


def test_the_crawler_catches_a_planted_server_error(db, client, settings):
    settings.ROOT_URLCONF = "tests.web._crawl_planted_urls"
    client.raise_request_exception = False
    planted = {p.name: p for p in _crawl.patterns()}
    assert {"planted:boom", "planted:fragile", "planted:careful"} <= set(planted)

    boom = crawl(client, planted["planted:boom"])
    assert boom.failures and boom.failures[0].status == 500
    assert "planted failure" in boom.failures[0].last_frame

    # Only a garbage id breaks this one: the crawler must try them.
    fragile = crawl(client, planted["planted:fragile"], real_kwargs={"pk": 1})
    assert [f.method for f in fragile.failures] and all(f.status == 500 for f in fragile.failures)
    assert any("99999999999999999999999" in f.url for f in fragile.failures)

    # Only a NUL in a posted field breaks this one.
    careful = crawl(client, planted["planted:careful"])
    assert {f.body for f in careful.failures} == {"form0-nul"}

    # A refusal that still wrote a row is a half-write.
    from tests.web._crawl_planted_urls import half_written

    writer = crawl(
        client, planted["planted:half_writer"], counts=lambda: {"rows": len(half_written)}
    )
    assert not writer.failures
    assert writer.half_writes and "form0-nul" in writer.half_writes[0]
