"""Pages of the address book. Thin: parse, look up through ``access_*``, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.contacts import exports, forms, imports, selectors, services
from mailsoftly.contacts.importing.mapping import BUILTIN_TARGETS, custom_key_index, mapping_guess
from mailsoftly.contacts.models import (
    ContactStatus,
    ImportStatus,
    SubscriptionStatus,
)
from mailsoftly.contacts.segments import SegmentError
from mailsoftly.contacts.subscriptions import consent_text_hash
from mailsoftly.core.ids import parse_id
from mailsoftly.teams.decorators import permission_required, workspace_required
from mailsoftly.teams.permissions import Perm
from mailsoftly.tracking.selectors import contact_tracking

PAGE_SIZE = 50


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the matching field (or above the form)."""
    if hasattr(error, "error_dict"):
        for key, messages_ in error.message_dict.items():
            form.add_error(key if key in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------- contacts


def _filters(request: HttpRequest) -> dict:
    workspace = request.workspace
    segment = None
    if segment_id := parse_id(request.GET.get("segment")):
        segment = selectors.segment_list(workspace=workspace).filter(pk=segment_id).first()
    return {
        "search": request.GET.get("q", ""),
        "status": request.GET.get("status", ""),
        "list_id": parse_id(request.GET.get("list")),
        "tag": request.GET.get("tag", "")[:100],
        "segment": segment,
    }


@workspace_required
def contact_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    filters = _filters(request)
    try:
        contacts = selectors.contact_list(workspace=workspace, **filters)
    except SegmentError:
        contacts = selectors.contact_list(workspace=workspace, search=filters["search"])
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page_obj": page,
        "filters": filters,
        "query": query.urlencode(),
        "statuses": ContactStatus.choices,
        "lists": selectors.contact_list_list(workspace=workspace),
        "segments": selectors.segment_list(workspace=workspace),
        "tags": selectors.tag_list(workspace=workspace),
    }
    if request.htmx:
        return render(request, "contacts/_contact_rows.html", context)
    return render(request, "contacts/contact_list.html", context)


@workspace_required
def contact_create(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    custom_fields = selectors.custom_field_list(workspace=workspace)
    form = forms.ContactForm(request.POST or None, custom_fields=custom_fields, with_status=False)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                workspace=workspace,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                fields=form.custom_values(),
                tags=form.tag_names(),
                by_user=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except LimitExceeded as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Contact added."))
            return redirect("contacts:contact_detail", pk=contact.pk)
    return render(request, "contacts/contact_form.html", {"form": form})


@workspace_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace
    contact = selectors.access_contact(workspace=workspace, id=pk)
    custom_fields = selectors.custom_field_list(workspace=workspace)
    initial = {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "status": contact.status,
        "tags": ", ".join(selectors.contact_tag_names(contact=contact)),
        **{f"field_{k}": v for k, v in contact.fields.items()},
    }
    form = forms.ContactForm(request.POST or None, initial=initial, custom_fields=custom_fields)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=contact,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                status=form.cleaned_data["status"] or contact.status,
                fields=form.custom_values(),
            )
            services.contact_tags_set(contact=contact, names=form.tag_names())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contacts:contact_detail", pk=contact.pk)
    subscriptions = selectors.contact_subscriptions(contact=contact)
    subscribed_ids = {s.contact_list_id for s in subscriptions}
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": contact,
            "form": form,
            "subscriptions": subscriptions,
            "other_lists": [
                cl
                for cl in selectors.contact_list_list(workspace=workspace)
                if cl.pk not in subscribed_ids
            ],
            "timeline": selectors.contact_timeline(contact=contact),
            "tracking": contact_tracking(contact=contact),
            "consents": selectors.contact_consents(contact=contact),
        },
    )


@workspace_required
@require_POST
def contact_subscription(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace
    contact = selectors.access_contact(workspace=workspace, id=pk)
    contact_list_ = selectors.access_contact_list(workspace=workspace, id=request.POST.get("list"))
    status = request.POST.get("status")
    if status not in SubscriptionStatus.values:
        raise Http404
    services.contact_subscribe(contact=contact, contact_list=contact_list_, status=status)
    messages.success(request, _("Subscription updated."))
    return redirect("contacts:contact_detail", pk=contact.pk)


@workspace_required
@require_POST
def contact_trash(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.access_contact(workspace=request.workspace, id=pk)
    services.contact_trash(contact=contact, by_user=request.user)
    messages.success(request, _("Contact moved to the trash. It can be restored for 30 days."))
    return redirect("contacts:contact_list")


@permission_required(Perm.MANAGE_SETTINGS)
@require_POST
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.access_contact(workspace=request.workspace, id=pk)
    if request.POST.get("confirm") != contact.email:
        messages.error(request, _("Type the contact's address to confirm the erasure."))
        return redirect("contacts:contact_detail", pk=contact.pk)
    services.contact_erase(contact=contact)
    messages.success(request, _("The contact and all its data were erased."))
    return redirect("contacts:contact_list")


@workspace_required
def contact_export(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    filters = _filters(request)
    try:
        contacts = selectors.contact_list(workspace=workspace, **filters)
    except SegmentError:
        raise Http404 from None
    fmt = request.GET.get("format", "csv")
    if fmt == "json":
        response = StreamingHttpResponse(
            exports.contacts_json(workspace=workspace, contacts=contacts),
            content_type="application/json",
        )
        name = "contacts.json"
    elif fmt == "xlsx":
        response = FileResponse(
            exports.contacts_xlsx(workspace=workspace, contacts=contacts),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = "contacts.xlsx"
    else:
        response = StreamingHttpResponse(
            exports.contacts_csv(workspace=workspace, contacts=contacts),
            content_type="text/csv; charset=utf-8",
        )
        name = "contacts.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------- lists


@workspace_required
def list_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = forms.ContactListForm(request.POST or None, initial={"double_opt_in": True})
    if request.method == "POST" and form.is_valid():
        try:
            contact_list_ = services.contact_list_create(workspace=workspace, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("List created."))
            return redirect("contacts:list_detail", pk=contact_list_.pk)
    return render(
        request,
        "contacts/list_list.html",
        {"lists": selectors.contact_list_list(workspace=workspace), "form": form},
    )


@workspace_required
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact_list_ = selectors.access_contact_list(workspace=request.workspace, id=pk)
    form = forms.ContactListForm(
        request.POST or None,
        initial={
            "name": contact_list_.name,
            "description": contact_list_.description,
            "visibility": contact_list_.visibility,
            "double_opt_in": contact_list_.double_opt_in,
            "consent_text": contact_list_.consent_text,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_list_update(contact_list=contact_list_, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("List saved."))
            return redirect("contacts:list_detail", pk=contact_list_.pk)
    form_url = request.build_absolute_uri(
        reverse("contacts:subscribe", kwargs={"form_key": contact_list_.form_key})
    )
    return render(
        request,
        "contacts/list_detail.html",
        {
            "contact_list": contact_list_,
            "form": form,
            "form_url": form_url,
            "text_hash": consent_text_hash(contact_list_.consent_text),
        },
    )


@workspace_required
@require_POST
def list_trash(request: HttpRequest, pk: int) -> HttpResponse:
    contact_list_ = selectors.access_contact_list(workspace=request.workspace, id=pk)
    services.contact_list_trash(contact_list=contact_list_, by_user=request.user)
    messages.success(request, _("List moved to the trash. It can be restored for 30 days."))
    return redirect("contacts:list_list")


# ---------------------------------------------------------------- custom fields


@workspace_required
def field_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = forms.CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.custom_field_create(
                workspace=workspace,
                key=form.cleaned_data["key"],
                label=form.cleaned_data["label"],
                field_type=form.cleaned_data["field_type"],
                choices=form.choice_list(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Field added."))
            return redirect("contacts:field_list")
    return render(
        request,
        "contacts/field_list.html",
        {"fields": selectors.custom_field_list(workspace=workspace), "form": form},
    )


@workspace_required
@require_POST
def field_trash(request: HttpRequest, pk: int) -> HttpResponse:
    field = selectors.access_custom_field(workspace=request.workspace, id=pk)
    services.custom_field_trash(custom_field=field, by_user=request.user)
    messages.success(request, _("Field moved to the trash."))
    return redirect("contacts:field_list")


# ---------------------------------------------------------------- suppression


@workspace_required
def suppression_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = forms.SuppressionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.suppression_add(workspace=workspace, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Address suppressed."))
            return redirect("contacts:suppression_list")
    page = Paginator(selectors.suppression_list(workspace=workspace), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "contacts/suppression_list.html", {"page_obj": page, "form": form})


@workspace_required
@require_POST
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    suppression = selectors.access_suppression(workspace=request.workspace, id=pk)
    try:
        services.suppression_remove(suppression=suppression)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Address removed from the suppression list."))
    return redirect("contacts:suppression_list")


# ---------------------------------------------------------------- imports


@workspace_required
def import_new(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = forms.ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.contact_import_upload(
                workspace=workspace, uploaded_file=form.cleaned_data["file"], by_user=request.user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("contacts:import_detail", pk=job.pk)
    return render(
        request,
        "contacts/import_new.html",
        {"form": form, "imports": selectors.contact_import_list(workspace=workspace)[:20]},
    )


def _targets(workspace) -> list[tuple[str, str]]:
    targets = [("", _("— ignore —")), *((k, str(v)) for k, v in BUILTIN_TARGETS.items())]
    targets += [
        (f"field:{f.key}", f.label) for f in selectors.custom_field_list(workspace=workspace)
    ]
    return targets


@workspace_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.workspace
    job = selectors.access_contact_import(workspace=workspace, id=pk)
    if job.status != ImportStatus.UPLOADED:
        return render(request, "contacts/import_progress.html", {"job": job})
    lists = selectors.contact_list_list(workspace=workspace)
    form = forms.ImportStartForm(request.POST or None, lists=lists)
    try:
        header, sample = imports.contact_import_preview(contact_import=job)
    except imports.ImportStartFailed:
        return render(request, "contacts/import_progress.html", {"job": job})
    if request.method == "POST":
        mapping = {str(i): request.POST.get(f"col_{i}", "") for i in range(len(header))}
    else:
        mapping = mapping_guess(
            header=header,
            custom_keys=custom_key_index(selectors.custom_field_list(workspace=workspace)),
        )
    if request.method == "POST" and form.is_valid():
        list_id = form.cleaned_data["contact_list"]
        contact_list_ = (
            selectors.access_contact_list(workspace=workspace, id=list_id) if list_id else None
        )
        try:
            imports.contact_import_start(
                contact_import=job,
                mapping=mapping,
                mode=form.cleaned_data["mode"],
                contact_list=contact_list_,
                consent_text=form.cleaned_data["consent_text"],
            )
        except imports.ImportStartFailed:
            return redirect("contacts:import_detail", pk=job.pk)  # shows the reason
        except ValidationError as exc:
            apply_errors(form, exc)
        except LimitExceeded as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("contacts:import_detail", pk=job.pk)
    columns = [
        {
            "index": i,
            "name": name,
            "samples": [row[i] if i < len(row) else "" for row in sample],
            "target": mapping.get(str(i), ""),
        }
        for i, name in enumerate(header)
    ]
    return render(
        request,
        "contacts/import_map.html",
        {"job": job, "form": form, "columns": columns, "targets": _targets(workspace)},
    )


@workspace_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.access_contact_import(workspace=request.workspace, id=pk)
    return render(request, "contacts/_import_status.html", {"job": job})


@workspace_required
@require_POST
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.access_contact_import(workspace=request.workspace, id=pk)
    try:
        imports.contact_import_resume(contact_import=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("contacts:import_detail", pk=job.pk)


@workspace_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.access_contact_import(workspace=request.workspace, id=pk)
    response = StreamingHttpResponse(
        exports.import_error_report_csv(contact_import=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
