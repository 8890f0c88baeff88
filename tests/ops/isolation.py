"""Console URLs take ids; a member of another workspace (not staff) must get 404."""

from tests.isolation.routes import route


@route("ops:support_account", methods=("get", "post"), data={"reason": "T-1"})
def _account(workspace, user):
    return {"pk": user.pk}


@route("ops:support_workspace", methods=("get", "post"), data={"reason": "T-1"})
def _workspace(workspace, user):
    return {"pk": workspace.pk}
