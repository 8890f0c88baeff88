"""Campaign URLs that take an id, for the cross-workspace isolation test."""

from tests.isolation.routes import EXEMPT, route

# Public by design: a recipient's signed token (RFC 8058), not a workspace object id.
# tests/campaigns/test_unsubscribe.py proves a forged token changes nothing.
EXEMPT["campaigns:unsubscribe"] = "signed one-click unsubscribe token for recipients"


def _campaign(workspace):
    from mailsoftly.campaigns import services

    return services.campaign_create(workspace=workspace, name="Theirs")


@route("campaigns:detail")
def _detail(workspace, user):
    return {"pk": _campaign(workspace).pk}


@route("campaigns:edit", methods=("get", "post"))
def _edit(workspace, user):
    return {"pk": _campaign(workspace).pk}


@route("campaigns:progress")
def _progress(workspace, user):
    return {"pk": _campaign(workspace).pk}


@route("campaigns:action", methods=("post",))
def _action(workspace, user):
    return {"pk": _campaign(workspace).pk}


@route("campaigns:captured")
def _captured(workspace, user):
    return {"pk": _campaign(workspace).pk}
