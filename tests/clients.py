"""Django test clients signed in to a workspace (signing in through the form is tested on
its own, in tests/accounts)."""

from __future__ import annotations


def signed_in(client, user, workspace):
    """``client`` with a session for ``user`` working in ``workspace``; returns it."""
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    return client
