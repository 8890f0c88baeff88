"""Pages of the design editor, and the public web version of published emails.

User HTML is never shown in the app's own origin: previews and the public page answer
with ``Content-Security-Policy: sandbox`` (no scripts, an opaque origin) and are framed
only by our own pages through ``<iframe sandbox>``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from jinja2 import TemplateError

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.designs import selectors, services
from mailsoftly.designs.compiler import CompileError
from mailsoftly.designs.defaults import blank_source
from mailsoftly.designs.forms import DesignForm, MediaUploadForm, TemplateSaveForm
from mailsoftly.designs.linkfetch import fetching_enabled, links_fetch
from mailsoftly.designs.links import design_links as design_links_check
from mailsoftly.designs.media import MediaError, media_trash, media_upload
from mailsoftly.designs.models import Design, SourceKind
from mailsoftly.designs.rendering import (
    CompiledDesign,
    RenderError,
    design_render,
    neutral_context,
    sample_context,
    subject_render,
)
from mailsoftly.designs.starters import starter_get, starter_list
from mailsoftly.designs.testsend import TestSendError, test_recipients_parse
from mailsoftly.teams.decorators import permission_required, workspace_required
from mailsoftly.teams.permissions import Perm, membership_can

# What a rendered email may do inside its frame: show inline styles and images, nothing else.
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)


def _sandboxed(html: str, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(html, content_type="text/html; charset=utf-8", status=status)
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@workspace_required
@require_GET
def design_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    designs = selectors.design_list(workspace=request.workspace, query=query)
    page = Paginator(designs, 25).get_page(request.GET.get("page"))
    archive_url = reverse(
        "designs:archive", kwargs={"token": selectors.archive_token(workspace=request.workspace)}
    )
    return render(
        request,
        "designs/design_list.html",
        {"page_obj": page, "query": query, "archive_url": archive_url},
    )


@permission_required(Perm.CREATE_CONTENT)
def design_new(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    if request.method == "POST":
        kind, _sep, value = request.POST.get("start", "").partition(":")
        starter = None
        if kind == "starter":
            starter = starter_get(value)
        elif kind == "template":
            starter = selectors.access_template(workspace=workspace, id=value)
        elif kind == "blank" and value in SourceKind.values:
            design = services.design_create(
                workspace=workspace,
                user=request.user,
                name=_("Untitled design"),
                source_kind=value,
                source=blank_source(value),
            )
            if value == SourceKind.VISUAL:
                return redirect("designs:visual", pk=design.pk)
            return redirect("designs:edit", pk=design.pk)
        if starter is None:
            messages.error(request, _("Choose a starting point."))
        else:
            try:
                design = services.design_create_from_starter(
                    workspace=workspace, user=request.user, starter=starter
                )
            except CompileError as exc:
                messages.error(
                    request,
                    _("That template cannot be used: %(error)s") % {"error": exc.message},
                )
            else:
                return redirect("designs:edit", pk=design.pk)
    return render(
        request,
        "designs/design_new.html",
        {
            "starters": starter_list(),
            "templates": selectors.template_list(workspace=workspace),
            "kinds": SourceKind.choices,
        },
    )


@permission_required(Perm.CREATE_CONTENT)
def design_edit(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    if request.method != "POST":
        form = DesignForm(instance=design, workspace=request.workspace)
    else:
        # The form validates a second copy: a refused save leaves ``design`` untouched.
        copy = selectors.access_design(workspace=request.workspace, id=pk)
        form = DesignForm(request.POST, instance=copy, workspace=request.workspace)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                services.design_update(design=design, user=request.user, **fields)
            except CompileError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            except LimitExceeded as exc:
                form.add_error("collect_ip_addresses", exc.message)
            else:
                messages.success(request, _("Design saved."))
                return redirect("designs:edit", pk=design.pk)
    text_preview = ""
    if design.compiled_html:
        try:
            text_preview = design_render(design=design, contact_context=sample_context()).text
        except RenderError as exc:
            text_preview = str(exc)
    return render(
        request,
        "designs/design_edit.html",
        {
            "design": design,
            "form": form,
            "text_preview": text_preview,
            "template_form": TemplateSaveForm(initial={"name": design.name}),
            "public_url": (
                request.build_absolute_uri(
                    reverse("designs:public", kwargs={"slug": design.public_slug})
                )
                if design.is_published
                else ""
            ),
        },
    )


@workspace_required
@require_GET
@xframe_options_sameorigin
def design_preview(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    context = sample_context()
    query = request.GET.get("contact", "").strip()
    if query:
        contact = selectors.preview_contact_context(workspace=request.workspace, query=query)
        if contact is None:
            return _sandboxed(
                render_to_string(
                    "designs/preview_error.html",
                    {"errors": [_("No contact in this workspace matches “%s”.") % query[:100]]},
                )
            )
        context["contact"] = contact
    try:
        email = design_render(design=design, contact_context=context)
    except (RenderError, CompileError) as exc:
        return _sandboxed(render_to_string("designs/preview_error.html", {"errors": [str(exc)]}))
    return _sandboxed(email.html)


@workspace_required
@require_GET
def design_links(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    links = design_links_check(source_kind=design.source_kind, source=design.source)
    fetch = request.GET.get("fetch") == "1" and fetching_enabled()
    answers = links_fetch([link.url for link in links if link.ok]) if fetch else {}
    return render(
        request,
        "designs/design_links.html",
        {
            "design": design,
            "links": [(link, answers.get(link.url, "")) for link in links],
            "problems": sum(not link.ok for link in links),
            "can_fetch": fetching_enabled(),
            "fetched": fetch,
        },
    )


@permission_required(Perm.CREATE_CONTENT)
@require_POST
@xframe_options_sameorigin
def design_preview_draft(request: HttpRequest) -> HttpResponse:
    """Preview unsaved editor content (posted into the sandboxed frame). Saves nothing."""
    # An unsaved instance of this workspace, so validation looks in the right region.
    form = DesignForm(
        request.POST, instance=Design(workspace=request.workspace), workspace=request.workspace
    )
    if not form.is_valid() or form.compiled is None:
        errors = [f"{form.fields[f].label if f in form.fields else ''} {e}".strip()
                  for f, errs in form.errors.items() for e in errs]  # fmt: skip
        return _sandboxed(render_to_string("designs/preview_error.html", {"errors": errors}))
    compiled = CompiledDesign(
        subject=form.cleaned_data["subject"], html=form.compiled.html, text=form.compiled.text
    )
    try:
        return _sandboxed(compiled.render(sample_context()).html)
    except RenderError as exc:
        return _sandboxed(render_to_string("designs/preview_error.html", {"errors": [str(exc)]}))


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    copy = services.design_duplicate(design=design, user=request.user)
    messages.success(request, _("Copied. You are now editing the copy."))
    return redirect("designs:edit", pk=copy.pk)


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_rename(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, _("A design needs a name."))
    elif "\x00" in name:  # PostgreSQL cannot store it; Django forms refuse it the same way
        messages.error(request, _("Null characters are not allowed."))
    else:
        services.design_rename(design=design, user=request.user, name=name)
        messages.success(request, _("Renamed."))
    return redirect("designs:list")


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_trash(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    services.design_trash(design=design, user=request.user)
    messages.success(
        request,
        _("“%(name)s” moved to the trash. It can be restored for 30 days.") % {"name": design.name},
    )
    return redirect("designs:list")


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_publish(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    services.design_publish(design=design, user=request.user)
    messages.success(request, _("Published. Anyone with the link can now read this email."))
    return redirect("designs:edit", pk=design.pk)


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    services.design_unpublish(design=design, user=request.user)
    messages.success(request, _("Unpublished. The public link no longer works."))
    return redirect("designs:edit", pk=design.pk)


@workspace_required
@require_GET
def design_versions(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    versions = selectors.design_version_list(design=design)[:50]
    return render(request, "designs/design_versions.html", {"design": design, "versions": versions})


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_version_restore(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    version = selectors.access_design_version(design=design, id=version_pk)
    try:
        services.design_version_restore(design=design, version=version, user=request.user)
    except CompileError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The earlier version is back."))
    return redirect("designs:edit", pk=design.pk)


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_save_as_template(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    form = TemplateSaveForm(request.POST)
    if form.is_valid():
        try:
            services.template_create_from_design(
                design=design,
                user=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                is_layout=form.cleaned_data["is_layout"],
            )
        except CompileError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved as a template."))
    else:
        messages.error(request, _("A template needs a name."))
    return redirect("designs:edit", pk=design.pk)


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def template_trash(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors.access_template(workspace=request.workspace, id=pk)
    services.template_trash(template=template, user=request.user)
    messages.success(request, _("Template moved to the trash."))
    return redirect("designs:new")


@require_GET
def design_public(request: HttpRequest, slug: str) -> HttpResponse:
    """The web version of a published email, with no personal data (policy P01)."""
    design = selectors.design_get_published(slug=slug)
    if design is None or design.trashed_at is not None:
        raise Http404
    try:
        email = design_render(
            design=design,
            contact_context=neutral_context(web_version_url=request.build_absolute_uri()),
        )
    except (RenderError, CompileError) as exc:
        raise Http404 from exc
    response = _sandboxed(email.html)
    response["X-Robots-Tag"] = "noindex"
    return response


def _archive_items(request: HttpRequest, workspace) -> list[dict]:
    items = []
    for design in selectors.published_list(workspace=workspace):
        url = reverse("designs:public", kwargs={"slug": design.public_slug})
        try:
            subject = subject_render(design=design, contact_context=neutral_context())
        except (RenderError, TemplateError):
            subject = design.name
        items.append(
            {
                "title": subject or design.name,
                "preheader": design.preheader if "{" not in design.preheader else "",
                "url": request.build_absolute_uri(url),
                "published_at": design.published_at,
            }
        )
    return items


@require_GET
def design_archive(request: HttpRequest, token: str) -> HttpResponse:
    """A workspace's public archive: only what its authors chose to publish (P01)."""
    workspace = selectors.archive_workspace(token=token)
    if workspace is None:
        raise Http404
    return render(
        request,
        "designs/archive.html",
        {
            "archive_workspace": workspace,
            "items": _archive_items(request, workspace),
            "feed_url": reverse("designs:archive_feed", kwargs={"token": token}),
        },
    )


class ArchiveFeed(Feed):
    """RSS of a workspace's published emails, with no personal data."""

    def get_object(self, request, token: str):
        workspace = selectors.archive_workspace(token=token)
        if workspace is None:
            raise Http404
        self._items = _archive_items(request, workspace)
        self._token = token
        return workspace

    def title(self, workspace) -> str:
        return _("%(name)s: published emails") % {"name": workspace.name}

    def link(self, workspace) -> str:
        return reverse("designs:archive", kwargs={"token": self._token})

    def description(self, workspace) -> str:
        return _("Emails %(name)s has published.") % {"name": workspace.name}

    def items(self, workspace) -> list[dict]:
        return self._items

    def item_title(self, item) -> str:
        return item["title"]

    def item_description(self, item) -> str:
        return item["preheader"]

    def item_link(self, item) -> str:
        return item["url"]

    def item_pubdate(self, item):
        return item["published_at"]


@workspace_required
def media_library(request: HttpRequest) -> HttpResponse:
    form = MediaUploadForm()
    if request.method == "POST":
        if not membership_can(request.membership, Perm.CREATE_CONTENT):
            raise PermissionDenied
        form = MediaUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                media = media_upload(
                    workspace=request.workspace,
                    user=request.user,
                    upload=form.cleaned_data["file"],
                    name=form.cleaned_data["name"],
                )
            except MediaError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(request, _("Uploaded “%(name)s”.") % {"name": media.name})
                return redirect("designs:media")
    page = Paginator(selectors.media_list(workspace=request.workspace), 24).get_page(
        request.GET.get("page")
    )
    items = [(media, selectors.media_public_url(media)) for media in page.object_list]
    return render(
        request, "designs/media_library.html", {"form": form, "page_obj": page, "items": items}
    )


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def media_delete(request: HttpRequest, pk: int) -> HttpResponse:
    media = selectors.access_media(workspace=request.workspace, id=pk)
    media_trash(media=media, user=request.user)
    messages.success(request, _("Image moved to the trash."))
    return redirect("designs:media")


@require_GET
def media_file(request: HttpRequest, key: str) -> HttpResponse:
    """An uploaded image, public at its unguessable key so mail clients can load it."""
    media = selectors.media_get_public(key=key)
    if media is None:
        raise Http404
    try:
        handle = media.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=media.content_type)
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


def _own_verified_address(user) -> str:
    from allauth.account.models import EmailAddress

    address = (
        EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "id").first()
    )
    return address.email if address else ""


@permission_required(Perm.CREATE_CONTENT)
@require_POST
def design_test_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the saved design to the author's verified address or up to five addresses."""
    design = selectors.access_design(workspace=request.workspace, id=pk)
    try:
        recipients = test_recipients_parse(
            request.POST.get("recipients", ""), default=_own_verified_address(request.user)
        )
        report = services.design_test_send(design=design, recipients=recipients)
    except (TestSendError, RenderError, CompileError) as exc:
        messages.error(request, str(exc))
    else:
        if report.sent:
            messages.success(
                request,
                _("Test sent to %(addresses)s.") % {"addresses": ", ".join(report.sent)},
            )
        for address, detail in report.failed:
            messages.error(
                request,
                _("The test to %(address)s failed: %(detail)s")
                % {"address": address, "detail": detail},
            )
    return redirect("designs:edit", pk=design.pk)
