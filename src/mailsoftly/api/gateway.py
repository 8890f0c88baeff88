"""What happens around every API call before django-ninja sees it.

In order: the 10 MB body limit (413), JSON that parses and is not nested absurdly deep
(400), the key (401), the plan allows API use (403), the per-key rate limit (429 +
``Retry-After``; ``RateLimit-*`` headers on every answer), then ``Idempotency-Key`` replay.
One wrapper around each URL callback keeps this out of the endpoints.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from mailsoftly.api.models import ApiKey, IdempotentResponse
from mailsoftly.api.problems import problem_response
from mailsoftly.api.services import api_key_authenticate
from mailsoftly.core import clock

MAX_BODY = 10 * 1024 * 1024
MAX_DEPTH = 32
IDEMPOTENCY_TTL = timedelta(hours=24)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def rate_limit() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600))


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _read_body(request) -> HttpResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return problem_response(400, _("Invalid Content-Length."))
    if length > MAX_BODY:
        return problem_response(413, _("The request body is larger than 10 MB."))
    if request.method not in WRITE_METHODS:
        return None
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return problem_response(413, _("The request body is larger than 10 MB."))
    # Django's own (smaller) upload limit is for forms; the API's limit is the one above.
    request._body = body
    request._stream = io.BytesIO(body)
    if body and "json" in request.META.get("CONTENT_TYPE", "json"):
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            return problem_response(400, _("The request body is not valid JSON."))
        if _depth(parsed) > MAX_DEPTH:
            return problem_response(
                400, _("The JSON body is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH}
            )
    return None


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _authenticate(request) -> ApiKey | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return api_key_authenticate(token=token.strip(), ip=_client_ip(request))


def _rate(api_key: ApiKey) -> tuple[bool, dict[str, str]]:
    """Count this call in the key's fixed one-minute window."""
    limit = rate_limit()
    now = clock.now().timestamp()
    window = int(now // 60)
    reset = max(1, math.ceil((window + 1) * 60 - now))
    name = f"api:rate:{api_key.pk}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        used = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=120)
        used = 1
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, limit - used)),
        "RateLimit-Reset": str(reset),
    }
    return used <= limit, headers


def _body_hash(request) -> str:
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
    ).hexdigest()


def _replay(request, api_key: ApiKey, key: str) -> HttpResponse | None:
    """A stored response, a 409 problem, or None to proceed."""
    cutoff = clock.now() - IDEMPOTENCY_TTL
    IdempotentResponse.objects.filter(api_key=api_key, created_at__lt=cutoff).delete()
    stored = IdempotentResponse.objects.filter(api_key=api_key, key=key).first()
    if stored is None:
        return None
    if stored.request_hash != _body_hash(request):
        return problem_response(
            409,
            _("This Idempotency-Key was already used with a different request."),
            slug="idempotency-key-reused",
        )
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type=stored.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _store(request, api_key: ApiKey, key: str, response: HttpResponse) -> None:
    if response.status_code >= 500 or response.streaming:
        return
    try:
        with transaction.atomic():
            IdempotentResponse.objects.create(
                api_key=api_key,
                key=key,
                request_hash=_body_hash(request),
                path=request.path[:500],
                status_code=response.status_code,
                content_type=response.get("Content-Type", "application/json")[:100],
                body=response.content,
                created_at=clock.now(),
            )
    except IntegrityError:
        pass  # a concurrent call with the same key stored first


def guarded(view):
    """Wrap a ninja URL callback with the checks in this module's docstring."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.api_key = None
        refused = _read_body(request)
        if refused is not None:
            return refused
        api_key = _authenticate(request)
        if api_key is None:
            return problem_response(
                401,
                _("Send a valid API key as “Authorization: Bearer <key>”."),
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        from mailsoftly.billing.errors import LimitExceeded
        from mailsoftly.billing.services import limit_check

        try:
            limit_check(workspace=api_key.workspace, resource="api")
        except LimitExceeded as exc:
            return problem_response(403, exc.message, slug="plan-limit")
        allowed, headers = _rate(api_key)
        if not allowed:
            response = problem_response(
                429,
                _("Too many requests for this key; try again later."),
                headers={**headers, "Retry-After": headers["RateLimit-Reset"]},
            )
            return response
        request.api_key = api_key
        idem = request.headers.get("Idempotency-Key", "").strip()
        if request.method == "POST" and idem:
            if len(idem) > 255:
                response = problem_response(
                    400, _("The Idempotency-Key is longer than 255 characters.")
                )
            else:
                response = _replay(request, api_key, idem)
                if response is None:
                    response = view(request, *args, **kwargs)
                    _store(request, api_key, idem, response)
        else:
            response = view(request, *args, **kwargs)
        for name, value in headers.items():
            response[name] = value
        return response

    return wrapper


def guard_patterns(patterns, open_names: set[str]):
    """Wrap every URL pattern's callback except the open ones (docs, schema)."""
    for pattern in patterns:
        if getattr(pattern, "name", None) in open_names:
            continue
        if hasattr(pattern, "callback"):
            pattern.callback = guarded(pattern.callback)
    return patterns
