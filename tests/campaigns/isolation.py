"""Campaign URLs that take an id, for the cross-workspace isolation test."""

from tests.isolation.routes import EXEMPT, ROUTES, Route, route

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


def _transactional_key_of_a(workspace, user):
    from tests.api.helpers import auth, make_key, subscribe_pro

    subscribe_pro(workspace)
    return auth(make_key(workspace, user)[1])


def _transactional_message(workspace, user):
    from mailsoftly.campaigns import transactional
    from tests.campaigns.helpers import make_design

    design = make_design(workspace)
    design.from_email = "orders@theirs.example"
    design.save()
    delivery, _created = transactional.transactional_send(
        workspace=workspace, design=design, to_email="b@example.org"
    )
    return {"delivery_id": delivery.pk}


ROUTES["api:transactional_message"] = Route(
    "api:transactional_message", _transactional_message, ("get",), None, _transactional_key_of_a
)
