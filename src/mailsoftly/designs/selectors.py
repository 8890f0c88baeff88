"""Reads of designs and templates. Lookups by id go through ``access_*`` (404 alike)."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from mailsoftly.core.regions import REGION_DATABASES
from mailsoftly.core.tenancy import access_object
from mailsoftly.designs.models import Design, DesignVersion, MediaFile, Template

# Public slugs and media keys are random URL-safe tokens; anything else is not one.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def access_design(*, workspace, id) -> Design:
    return access_object(Design, workspace=workspace, id=id)


def access_template(*, workspace, id) -> Template:
    return access_object(Template, workspace=workspace, id=id)


def access_design_version(*, design: Design, id) -> DesignVersion:
    return access_object(DesignVersion, workspace=design.workspace, id=id, design=design)


def design_list(*, workspace, query: str = "") -> QuerySet[Design]:
    designs = Design.objects.for_workspace(workspace)
    if query:
        designs = designs.filter(Q(name__icontains=query) | Q(subject__icontains=query))
    return designs.defer("source", "compiled_html", "compiled_text")


def design_version_list(*, design: Design) -> QuerySet[DesignVersion]:
    return DesignVersion.objects.for_workspace(design.workspace).filter(design=design)


def template_list(*, workspace) -> QuerySet[Template]:
    return Template.objects.for_workspace(workspace)


def design_get_published(*, slug: str) -> Design | None:
    """The published, live design behind a public slug, from whichever region holds it.

    The slug is random (128 bits) and only exists while the design is published, so this
    lookup across workspaces reveals nothing that the author did not publish.
    """
    if not _TOKEN.fullmatch(slug or ""):
        return None
    for database in dict.fromkeys(REGION_DATABASES.values()):
        design = (
            Design.objects.using(database)
            .filter(public_slug=slug, published_at__isnull=False)
            .first()
        )
        if design is not None:
            return design
    return None


def preview_contact_context(*, workspace, query: str) -> dict | None:
    """Merge data of the first of this workspace's contacts matching ``query``, for preview.

    Shaped like the sending engine's recipient data: custom fields, then the built-ins.
    """
    from mailsoftly.contacts.selectors import contact_list

    contact = contact_list(workspace=workspace, search=query[:200]).first()
    if contact is None:
        return None
    data = {**(contact.fields or {})}
    data.update(email=contact.email, first_name=contact.first_name, last_name=contact.last_name)
    data["name"] = f"{contact.first_name} {contact.last_name}".strip()
    return data


# --- The public archive of published emails ------------------------------------------


def archive_token(*, workspace) -> str:
    """The workspace's archive address part: its id and a keyed hash, so not enumerable."""
    from django.utils.crypto import salted_hmac

    digest = salted_hmac(
        "mailsoftly.designs.archive", str(workspace.pk), algorithm="sha256"
    ).hexdigest()[:24]
    return f"{workspace.pk}-{digest}"


def archive_workspace(*, token: str):
    """The workspace behind an archive token, or None for anything wrong."""
    from django.utils.crypto import constant_time_compare

    from mailsoftly.core.ids import parse_id
    from mailsoftly.teams.models import Workspace

    workspace_id = parse_id(token.partition("-")[0])
    if workspace_id is None:
        return None
    workspace = Workspace.objects.filter(pk=workspace_id, trashed_at__isnull=True).first()
    if workspace is None or not constant_time_compare(archive_token(workspace=workspace), token):
        return None
    return workspace


def published_list(*, workspace, limit: int = 50) -> list[Design]:
    """The workspace's published, live designs, newest first (what the archive shows)."""
    return list(
        Design.objects.for_workspace(workspace)
        .filter(published_at__isnull=False, public_slug__isnull=False)
        .order_by("-published_at", "-id")[:limit]
    )


# --- Media ---------------------------------------------------------------------------


def access_media(*, workspace, id) -> MediaFile:
    return access_object(MediaFile, workspace=workspace, id=id)


def media_list(*, workspace) -> QuerySet[MediaFile]:
    return MediaFile.objects.for_workspace(workspace)


def media_get_public(*, key: str) -> MediaFile | None:
    """A live image by its public key, from whichever region holds it."""
    if not _TOKEN.fullmatch(key or "") or len(key) > 32:
        return None
    for database in dict.fromkeys(REGION_DATABASES.values()):
        media = MediaFile.objects.using(database).filter(key=key).first()
        if media is not None:
            return media
    return None


def media_public_url(media: MediaFile) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.BASE_URL.rstrip("/") + reverse("designs:media_file", kwargs={"key": media.key})
