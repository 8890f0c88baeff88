"""Every designs URL that takes an id, for the cross-workspace isolation test."""

from mailsoftly.designs.selectors import design_version_list
from mailsoftly.designs.services import template_create_from_design
from tests.designs.factories import make_design
from tests.isolation.routes import EXEMPT, route


def _design(workspace, user):
    return {"pk": make_design(workspace, user).pk}


for _name, _methods in [
    ("designs:edit", ("get", "post")),
    ("designs:visual", ("get", "post")),
    ("designs:preview", ("get",)),
    ("designs:links", ("get",)),
    ("designs:duplicate", ("post",)),
    ("designs:test_send", ("post",)),
    ("designs:rename", ("post",)),
    ("designs:trash", ("post",)),
    ("designs:publish", ("post",)),
    ("designs:unpublish", ("post",)),
    ("designs:versions", ("get",)),
    ("designs:save_template", ("post",)),
]:
    route(_name, methods=_methods)(_design)


@route("designs:version_restore", methods=("post",))
def _version(workspace, user):
    design = make_design(workspace, user)
    return {"pk": design.pk, "version_pk": design_version_list(design=design).first().pk}


@route("designs:template_trash", methods=("post",))
def _template(workspace, user):
    design = make_design(workspace, user)
    return {"pk": template_create_from_design(design=design, user=user, name="T").pk}


ROUTES_FOR_TESTS = [
    "designs:edit",
    "designs:visual",
    "designs:preview",
    "designs:links",
    "designs:duplicate",
    "designs:test_send",
    "designs:rename",
    "designs:trash",
    "designs:publish",
    "designs:unpublish",
    "designs:versions",
    "designs:save_template",
    "designs:version_restore",
    "designs:template_trash",
]


# Public by design: a workspace's archive lists only what its authors published (P01).
# The token carries a keyed hash, so archives cannot be enumerated (test_publish.py).
EXEMPT["designs:archive"] = "public archive of explicitly published emails (P01); keyed token"
EXEMPT["designs:archive_feed"] = "RSS of the public archive (P01); keyed token"
EXEMPT["designs:media_file"] = (
    "images must load in recipients' mail programs without signing in; the key is 128 "
    "random bits and trashing the image makes it 404 (tests/designs/test_media.py)"
)


@route("designs:media_trash", methods=("post",))
def _media(workspace, user):
    from tests.designs.test_media import upload_image

    return {"pk": upload_image(workspace, user).pk}


ROUTES_FOR_TESTS.append("designs:media_trash")
