"""A workspace moving region is read-only: a refused write becomes a clear 423 answer."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from mailsoftly.core.regions import WorkspaceReadOnly


class WorkspaceReadOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, WorkspaceReadOnly):
            return None
        message = str(exception)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "about:blank",
                    "title": "Workspace is read-only",
                    "status": 423,
                    "detail": message,
                },
                status=423,
                content_type="application/problem+json",
            )
        return render(request, "residency/read_only.html", {"message": message}, status=423)
