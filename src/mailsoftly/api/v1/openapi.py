"""The error responses every operation can give, declared in the served OpenAPI schema.

The gateway and the exception handlers answer errors as RFC 9457 problem details
(``application/problem+json``). Declaring them on each operation lets clients generate
error types and lets schemathesis check each error body against the ``Problem`` schema.

* every operation: 400 (malformed JSON, a bad cursor or sort), 401 (no valid key), 403
  (missing scope, plan limit), 404 (an id that is missing or not yours), 413 (body over
  10 MB), 422 (invalid values) and 429 (rate limit, with ``Retry-After``);
* writes (POST, PUT, PATCH, DELETE) also 409: an ``Idempotency-Key`` reused with another
  body, or a state that does not allow the action.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

PROBLEM_MEDIA_TYPE = "application/problem+json"
WRITE_METHODS = {"post", "put", "patch", "delete"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "type": "array",
            "description": "One entry per invalid value; ``field`` is a dotted path.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

ERRORS: dict[int, str] = {
    400: "Malformed request: JSON that does not parse or is nested too deep, a bad cursor, "
    "sort or limit.",
    401: "No valid API key (missing, unknown, revoked or expired).",
    403: "The key lacks the scope, or the plan does not allow this.",
    404: "Not found, or not this workspace's (the same answer for both).",
    409: "The Idempotency-Key was used with another request, or the object's state does not "
    "allow this action.",
    413: "The request body is larger than 10 MB.",
    422: "Invalid values; ``errors`` names each field.",
    429: "Too many requests for this key; retry after ``Retry-After`` seconds.",
}


def _response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds until the key's window resets.",
                "schema": {"type": "integer"},
            }
        }
    return response


def problems_declare(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the ``Problem`` component and the error responses to every operation."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            declared = {str(code) for code in responses}
            for status in ERRORS:
                if status == 409 and method.lower() not in WRITE_METHODS:
                    continue
                if str(status) not in declared:
                    responses[status] = _response(status)
    return schema


class ProblemsDeclaredAPI(NinjaAPI):
    """A NinjaAPI whose schema declares the problem+json error responses."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problems_declare(schema)
