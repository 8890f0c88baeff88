"""Personal data (policy P24): "download my data" and the staff register of requests.

:func:`personal_data_collect` walks every model (accounts, memberships, consents,
e-mail addresses, second factors, audit entries — the regional ones in every region's
database —, …) with a user, actor, owner or account foreign key to the user, so a new app's personal records are included without changes here. Secrets are
left out: password hashes, encrypted fields, tokens, keys and second-factor data.

:func:`personal_data_bundle` packs it as a ZIP with ``data.json`` and a readable
``index.html``.

:func:`data_request_record` / :func:`data_request_close` keep the register of access,
correction and deletion requests with their due dates, and
:func:`data_request_remind_due` mails staff before a request falls due.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.crypto import EncryptedTextField
from mailsoftly.core.mail import platform_mail_enqueue
from mailsoftly.core.regions import database_for, is_regional, region_names
from mailsoftly.lifecycle import audit
from mailsoftly.lifecycle.models import DataRequest, DataRequestKind

SECRET_FIELD_NAMES = {
    "password",
    "data",
    "token",
    "token_secret",
    "secret",
    "key",
    "private_key",
    "session_data",
    "username_key",
}
# Sessions are listed separately (without their data); a legal hold is hidden from the
# person it concerns (policy P28).
_NOT_SHOWN = {"sessions.session", "lifecycle.legalhold", "lifecycle.legalholdaccess"}
REQUEST_DUE = timedelta(days=30)
REMIND_BEFORE = timedelta(days=5)


def _safe_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in SECRET_FIELD_NAMES and not isinstance(f, EncryptedTextField)
    ]


def _rows(queryset, fields) -> list[dict[str, Any]]:
    names = [f.attname for f in fields]
    values = queryset.order_by("pk").values_list(*names)
    return json.loads(
        json.dumps([dict(zip(names, row, strict=True)) for row in values], cls=DjangoJSONEncoder)
    )


def personal_data_collect(*, user) -> dict[str, Any]:
    """Everything the directory stores about ``user``, by model label."""
    user_model = get_user_model()
    data: dict[str, Any] = {
        "generated_at": clock.now().isoformat(),
        "account": _rows(user_model.objects.filter(pk=user.pk), _safe_fields(user_model))[0],
        "records": {},
    }
    # A web process may serve only some regions; say which ones this download leaves out.
    regions = [r for r in region_names() if database_for(r) in settings.DATABASES]
    if missing := [r for r in region_names() if r not in regions]:
        data["regions_not_included"] = missing
    for model in apps.get_models():
        if model is user_model or model._meta.label_lower in _NOT_SHOWN:
            continue
        user_fks = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey)
            and f.related_model is user_model
            and f.name in ("user", "actor", "owner", "account")
        ]
        if not user_fks:
            continue
        query = models.Q()
        for field in user_fks:
            query |= models.Q(**{field.attname: user.pk})
        if is_regional(model):
            # Rows about the user kept with a workspace's content (the audit entries of
            # what they did there) live in each region's own database.
            rows = [
                {"region": region, **row}
                for region in regions
                for row in _rows(
                    model._base_manager.using(database_for(region)).filter(query),
                    _safe_fields(model),
                )
            ]
        else:
            rows = _rows(model._default_manager.filter(query), _safe_fields(model))
        if rows:
            data["records"][model._meta.label_lower] = rows
    data["sessions"] = [
        {"expires_at": session.expire_date.isoformat()}
        for session in Session.objects.filter(expire_date__gt=clock.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    return data


def personal_data_bundle(*, user, request=None) -> bytes:
    """A ZIP with ``data.json`` and ``index.html`` of the user's personal data. Logged."""
    data = personal_data_collect(user=user)
    html = render_to_string("lifecycle/personal_data.html", {"data": data, "user": user})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, cls=DjangoJSONEncoder))
        archive.writestr("index.html", html)
    audit.record(action="personal_data.downloaded", actor=user, request=request, target=user)
    return buffer.getvalue()


def data_request_record(
    *, kind: str, requester_email: str, user=None, details: str = "", actor=None
) -> DataRequest:
    """Register a request (access, correction, deletion) with its due date."""
    now = clock.now()
    with transaction.atomic():
        entry = DataRequest.objects.create(
            kind=DataRequestKind(kind),
            requester_email=requester_email.strip(),
            user=user,
            details=details.strip(),
            received_at=now,
            due_at=now + REQUEST_DUE,
            recorded_by=actor,
        )
        audit.record(action="data_request.recorded", actor=actor, target=entry)
    return entry


def data_request_close(*, entry: DataRequest, actor, outcome: str = "") -> DataRequest:
    with transaction.atomic():
        entry = DataRequest.objects.select_for_update().get(pk=entry.pk)
        if entry.closed_at is None:
            entry.closed_at = clock.now()
            entry.closed_by = actor
            entry.outcome = outcome.strip()
            entry.save(update_fields=["closed_at", "closed_by", "outcome"])
            audit.record(action="data_request.closed", actor=actor, target=entry)
    return entry


def data_request_remind_due() -> int:
    """Mail staff about open requests due within 5 days, once per request."""
    soon = clock.now() + REMIND_BEFORE
    with transaction.atomic():
        due = list(
            DataRequest.objects.select_for_update()
            .filter(closed_at__isnull=True, reminded_at__isnull=True, due_at__lte=soon)
            .order_by("due_at")
        )
        if not due:
            return 0
        staff = list(
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        recipients = staff or [email for _name, email in getattr(settings, "ADMINS", [])]
        lines = [
            f"- {entry.get_kind_display()} · {entry.requester_email} · "
            f"{_('due')} {entry.due_at:%Y-%m-%d}"
            for entry in due
        ]
        if recipients:
            platform_mail_enqueue(
                to=recipients,
                subject=_("%(count)s data requests are due soon") % {"count": len(due)},
                text=_("These privacy requests must be answered by their due date:")
                + "\n\n"
                + "\n".join(lines),
            )
        DataRequest.objects.filter(pk__in=[entry.pk for entry in due]).update(
            reminded_at=clock.now()
        )
    return len(due)
