"""Screening URLs that take an id, for the cross-workspace isolation test.

The review pages are for platform staff only; a workspace member (of any workspace) gets
404 for them, like for anything that is not theirs.
"""

from mailsoftly.screening.services import content_screen
from tests.isolation.routes import route


def _held(workspace, user):
    result = content_screen(
        workspace=workspace,
        subject="Held",
        from_address="a@shop.example",
        html='<a href="http://192.0.2.1/">x</a>',
        text="Unsubscribe: {{ unsubscribe_url }}",
    )
    return {"region": workspace.region, "pk": result.pk}


route("screening:detail")(_held)
route("screening:preview")(_held)
route("screening:decide", methods=("post",), data={"decision": "approve", "comment": "ok"})(_held)


route("screening:result")(lambda workspace, user: {"pk": _held(workspace, user)["pk"]})
