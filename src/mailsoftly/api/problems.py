"""RFC 9457 problem details (``application/problem+json``) for every API error."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

PROBLEM_TYPE = "https://mailsoftly.invalid/problems/"


class ApiProblem(Exception):
    """Raised inside the API; turned into a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str = "",
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = str(detail)
        self.slug = slug
        self.errors = errors
        self.headers = headers or {}


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str = "",
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    title = HTTPStatus(status).phrase
    body: dict = {
        "type": PROBLEM_TYPE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/problem+json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_exception(exc: ApiProblem) -> HttpResponse:
    return problem_response(
        exc.status, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
    )


def django_validation_errors(exc) -> list[dict]:
    """``[{"field": ..., "message": ...}]`` from a Django ValidationError."""
    out = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                out.append({"field": "" if field == "__all__" else field, "message": message})
    else:
        for message in exc.messages:
            out.append({"field": "", "message": message})
    return out
