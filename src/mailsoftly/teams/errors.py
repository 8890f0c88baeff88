"""Errors the team services raise. Their message is shown to the user as is."""

from django.core.exceptions import PermissionDenied


class TeamError(Exception):
    """A refused or impossible request, with a message fit for the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionRefused(TeamError, PermissionDenied):
    """The actor's role does not allow this. Always audit-logged before it is raised."""
