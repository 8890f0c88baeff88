"""Small builders for team tests."""

from django.test import RequestFactory

from mailsoftly.teams.models import Membership, Role
from tests.factories import UserFactory


def add_member(workspace, role=Role.MEMBER, **user_fields):
    user = UserFactory(**user_fields)
    membership = Membership.objects.create(user=user, workspace=workspace, role=role)
    return user, membership


def request_from(user, ip="198.51.100.9", ua="TestBrowser/1.0"):
    request = RequestFactory().post("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)
    request.user = user
    request.workspace = None
    return request
