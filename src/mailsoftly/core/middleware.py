"""One structured log line per request, with a request id that the response echoes."""

import logging
import re
import time
import uuid

from mailsoftly.core.logging import log_region

logger = logging.getLogger("mailsoftly.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request.id
            return response
        finally:
            user = getattr(request, "user", None)
            # A request to a workspace in another region is logged in that region's log.
            workspace = getattr(request, "workspace", None)
            with log_region(getattr(workspace, "region", None)):
                self._log(request, status, started, user)

    @staticmethod
    def _log(request, status: int, started: float, user) -> None:
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request.id,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )


class RejectNulBytesMiddleware:
    """A NUL byte in the path or query string is never legitimate, and PostgreSQL refuses
    it in text: answer 400 here rather than let it reach a query and become a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(
                "Bad request: the address contains a NUL character.", content_type="text/plain"
            )
        return self.get_response(request)
