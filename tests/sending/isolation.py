"""Sending-settings URLs that take an id, for the cross-workspace isolation test."""

from tests.isolation.routes import EXEMPT, route


def _server(workspace):
    from mailsoftly.sending.services import smtp_server_create

    return smtp_server_create(workspace=workspace, name="Theirs", host="smtp.example.com")


def _key(workspace):
    from mailsoftly.sending.services import dkim_key_generate

    return dkim_key_generate(
        workspace=workspace, domain="theirs.example", selector="s1", algorithm="ed25519"
    )


@route("sending:server_edit", methods=("get", "post"))
def _server_edit(workspace, user):
    return {"pk": _server(workspace).pk}


@route("sending:server_test", methods=("post",))
def _server_test(workspace, user):
    return {"pk": _server(workspace).pk}


@route("sending:server_trash", methods=("post",))
def _server_trash(workspace, user):
    return {"pk": _server(workspace).pk}


@route("sending:dkim_check", methods=("post",))
def _dkim_check(workspace, user):
    return {"pk": _key(workspace).pk}


@route("sending:dkim_trash", methods=("post",))
def _dkim_trash(workspace, user):
    return {"pk": _key(workspace).pk}


@route("sending:bounce_hook_trash", methods=("post",))
def _bounce_hook_trash(workspace, user):
    from mailsoftly.sending.services import bounce_hook_create

    return {"pk": bounce_hook_create(workspace=workspace, name="Theirs")[0].pk}


# Not an id: the source name (ses, dsn). The hook's token decides the workspace, and a
# hook acts only on its own workspace's deliveries (tests/sending/test_bounce_hooks.py).
EXEMPT["bounce_hooks:receive"] = "source name, not an id; authorised by the hook's secret token"
