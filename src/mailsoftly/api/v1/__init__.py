"""Version 1 of the REST API: ``/api/v1/`` with OpenAPI at ``openapi.json`` and docs at ``docs``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from mailsoftly.api.problems import (
    ApiProblem,
    django_validation_errors,
    from_exception,
    problem_response,
)
from mailsoftly.api.v1 import (
    campaigns,
    contacts,
    designs,
    exports,
    imports,
    transactional,
    webhooks,
)
from mailsoftly.api.v1.common import KeyAuth
from mailsoftly.api.v1.openapi import ProblemsDeclaredAPI
from mailsoftly.billing.errors import BillingError

api = ProblemsDeclaredAPI(
    title="Mailsoftly API",
    version="1",
    urls_namespace="api",
    auth=KeyAuth(),
    description=(
        "Send `Authorization: Bearer <key>` (create keys under Settings → API keys). "
        "Errors are RFC 9457 problem details. POSTs accept an `Idempotency-Key` header."
    ),
)
api.add_router("", contacts.router)
api.add_router("", imports.router)
api.add_router("", exports.router)
api.add_router("", designs.router)
api.add_router("", campaigns.router)
api.add_router("", webhooks.router)
api.add_router("", transactional.router)


@api.exception_handler(ApiProblem)
def _problem(request, exc):
    return from_exception(exc)


@api.exception_handler(BillingError)
def _plan_limit(request, exc):
    # A plan limit met inside a service (e.g. the contacts limit during a bulk upsert);
    # the service's transaction has rolled back.
    return problem_response(403, exc.message, slug="plan-limit")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, _("Not found."))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(401, _("Send a valid API key as “Authorization: Bearer <key>”."))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return problem_response(exc.status_code, str(exc))


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    errors = []
    for error in exc.errors:
        loc = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "form", "file")
        ]
        if loc and loc[0] in ("payload", "body"):
            loc = loc[1:]
        errors.append({"field": ".".join(loc), "message": str(error.get("msg", ""))})
    return problem_response(
        422, _("The request has invalid values."), slug="validation", errors=errors
    )


@api.exception_handler(DjangoValidationError)
def _django_invalid(request, exc):
    return problem_response(
        422,
        _("The request has invalid values."),
        slug="validation",
        errors=django_validation_errors(exc),
    )
