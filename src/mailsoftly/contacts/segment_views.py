"""The segment builder: a simple form of condition rows, with a live count over htmx."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mailsoftly.contacts import forms, selectors, services
from mailsoftly.contacts.models import ContactStatus
from mailsoftly.contacts.segments import SegmentError
from mailsoftly.contacts.views import apply_errors
from mailsoftly.teams.decorators import workspace_required

ROWS = 6

OPERATORS = [
    ("eq", gettext_lazy("is")),
    ("neq", gettext_lazy("is not")),
    ("contains", gettext_lazy("contains")),
    ("not_contains", gettext_lazy("does not contain")),
    ("starts_with", gettext_lazy("starts with")),
    ("ends_with", gettext_lazy("ends with")),
    ("is_empty", gettext_lazy("is empty")),
    ("is_not_empty", gettext_lazy("is not empty")),
    ("gt", gettext_lazy("is greater than")),
    ("lt", gettext_lazy("is less than")),
    ("before", gettext_lazy("is before (YYYY-MM-DD)")),
    ("after", gettext_lazy("is after (YYYY-MM-DD)")),
    ("within_days", gettext_lazy("is within the last N days")),
    ("in", gettext_lazy("is subscribed to list")),
    ("not_in", gettext_lazy("is not subscribed to list")),
    ("has", gettext_lazy("has tag")),
    ("has_not", gettext_lazy("does not have tag")),
    ("opened_last", gettext_lazy("opened any of the last N campaigns")),
    ("clicked_last", gettext_lazy("clicked in any of the last N campaigns")),
    ("never_opened", gettext_lazy("never opened")),
    ("clicked_link", gettext_lazy("clicked a link containing")),
]


def _fields(workspace) -> list[tuple[str, str]]:
    fields = [
        ("", "—"),
        ("email", _("Email address")),
        ("first_name", _("First name")),
        ("last_name", _("Last name")),
        ("status", _("Status")),
        ("created_at", _("Added")),
        ("list", _("List (value: list)")),
        ("tag", _("Tag")),
        ("engagement", _("Engagement")),
        ("engagement_level", _("Engagement level (cold, interested, very interested)")),
    ]
    fields += [
        (f"field:{f.key}", f.label) for f in selectors.custom_field_list(workspace=workspace)
    ]
    return fields


def _rules_from_post(data) -> dict:
    conditions = []
    for i in range(ROWS):
        field = data.get(f"field_{i}", "")
        if not field:
            continue
        condition = {"field": field, "op": data.get(f"op_{i}", "")}
        value = data.get(f"value_{i}", "")
        if value != "":
            condition["value"] = value
        conditions.append(condition)
    return {"match": data.get("match", "all"), "conditions": conditions}


def _rules_refusal(rules: dict) -> ValidationError | None:
    """The builder saves nothing without a condition: such a segment would match everyone,
    and sending to it by mistake is costly (the API refuses it the same way)."""
    if rules.get("conditions"):
        return None
    return ValidationError(
        {"rules": _("Add at least one condition: a segment without one would match every contact.")}
    )


def _rows(rules: dict) -> list[dict]:
    flat = [c for c in rules.get("conditions", []) if isinstance(c, dict) and "field" in c]
    rows = [
        {
            "index": i,
            "field": c.get("field", ""),
            "op": c.get("op", ""),
            "value": c.get("value", ""),
        }
        for i, c in enumerate(flat[:ROWS])
    ]
    rows += [{"index": i, "field": "", "op": "", "value": ""} for i in range(len(rows), ROWS)]
    return rows


def _context(request, *, segment=None, rules=None, form=None) -> dict:
    workspace = request.workspace
    rules = rules if rules is not None else (segment.rules if segment else {"conditions": []})
    return {
        "segment": segment,
        "form": form,
        "rows": _rows(rules),
        "fields": _fields(workspace),
        "operators": OPERATORS,
        "lists": selectors.contact_list_list(workspace=workspace),
        "statuses": ContactStatus.choices,
        "nested": any(
            "conditions" in c for c in rules.get("conditions", []) if isinstance(c, dict)
        ),
    }


@workspace_required
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "contacts/segment_list.html",
        {"segments": selectors.segment_list(workspace=request.workspace)},
    )


@workspace_required
def segment_create(request: HttpRequest) -> HttpResponse:
    form = forms.SegmentForm(request.POST or None, initial={"match": "all"})
    rules = _rules_from_post(request.POST) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid() and (refusal := _rules_refusal(rules)):
        apply_errors(form, refusal)
    elif request.method == "POST" and form.is_valid():
        try:
            segment = services.segment_create(
                workspace=request.workspace, name=form.cleaned_data["name"], rules=rules
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Segment saved."))
            return redirect("contacts:segment_detail", pk=segment.pk)
    return render(request, "contacts/segment_form.html", _context(request, rules=rules, form=form))


@workspace_required
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = selectors.access_segment(workspace=request.workspace, id=pk)
    form = forms.SegmentForm(
        request.POST or None,
        initial={"name": segment.name, "match": segment.rules.get("match", "all")},
    )
    rules = _rules_from_post(request.POST) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid() and (refusal := _rules_refusal(rules)):
        apply_errors(form, refusal)
    elif request.method == "POST" and form.is_valid():
        try:
            services.segment_update(segment=segment, name=form.cleaned_data["name"], rules=rules)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Segment saved."))
            return redirect("contacts:segment_detail", pk=segment.pk)
    return render(
        request,
        "contacts/segment_form.html",
        _context(request, segment=segment, rules=rules, form=form),
    )


@workspace_required
@require_POST
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count shown while a segment is being built (htmx)."""
    try:
        count = selectors.segment_count(
            workspace=request.workspace, rules=_rules_from_post(request.POST)
        )
    except SegmentError as exc:
        return render(request, "contacts/_segment_count.html", {"error": str(exc)})
    return render(request, "contacts/_segment_count.html", {"count": count})


@workspace_required
@require_POST
def segment_trash(request: HttpRequest, pk: int) -> HttpResponse:
    segment = selectors.access_segment(workspace=request.workspace, id=pk)
    services.segment_trash(segment=segment, by_user=request.user)
    messages.success(request, _("Segment moved to the trash."))
    return redirect("contacts:segment_list")
