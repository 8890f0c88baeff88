"""The usage log lives in the directory: for a workspace of another region it keeps the
route, not that region's ids (policy P40)."""

import pytest
from django.urls import reverse

from mailsoftly.ops import usage
from mailsoftly.ops.models import UsageRecord
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.policy("P40")


def _visit(client, user, workspace, contact):
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    assert client.get(reverse("contacts:contact_detail", args=[contact.pk])).status_code == 200
    usage.usage_flush()
    return list(
        UsageRecord.objects.filter(workspace_id=workspace.pk).values_list("path", flat=True)
    )


def test_an_eu_workspaces_ids_are_not_kept_in_the_usage_log(client, user, eu_workspace):
    contact = ContactFactory(workspace=eu_workspace)
    paths = _visit(client, user, eu_workspace, contact)
    assert "/contacts/:id/" in paths
    assert not [p for p in paths if str(contact.pk) in p]


def test_a_directory_region_workspaces_paths_are_kept_whole(client, user, workspace):
    contact = ContactFactory(workspace=workspace)
    assert f"/contacts/{contact.pk}/" in _visit(client, user, workspace, contact)
