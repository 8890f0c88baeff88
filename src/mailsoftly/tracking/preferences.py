"""The recipient's preference centre: no login, the signed token from the email is the key.

It shows the recipient the workspace's lists they are on, lets them leave some or all,
and correct their name. Leaving everything is the same action as the RFC 8058 one-click
unsubscribe (``campaigns.services.delivery_unsubscribe``), and both record an
``unsubscribe`` tracking event on the delivery.
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mailsoftly.core import clock
from mailsoftly.tracking import recorder
from mailsoftly.tracking.models import EventKind


class PreferencesForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    lists = forms.TypedMultipleChoiceField(
        label=_("Keep me on these lists"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, list_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lists"].choices = list_choices

    def clean(self):
        cleaned = super().clean()
        for name in ("first_name", "last_name"):
            if any(ch in (cleaned.get(name) or "") for ch in "\r\n\x00"):
                self.add_error(name, _("Line breaks are not allowed here."))
        return cleaned


def _recipient(token: str):
    """(workspace, delivery, contact) for a valid token, else None."""
    from mailsoftly.campaigns.models import Delivery
    from mailsoftly.campaigns.unsubscribe import _workspace_for
    from mailsoftly.contacts.models import Contact

    workspace, delivery_id = _workspace_for(token)
    if workspace is None:
        return None
    delivery = Delivery.objects.for_workspace(workspace).filter(pk=delivery_id).first()
    if delivery is None or delivery.contact_id is None:
        return None
    contact = Contact.objects.for_workspace(workspace).filter(pk=delivery.contact_id).first()
    if contact is None:
        return None
    contact.workspace = workspace
    return workspace, delivery, contact


def unsubscribe_event_record(*, workspace, delivery_id: int) -> None:
    recorder.record(
        recorder.new_event(
            kind=EventKind.UNSUBSCRIBE,
            region=workspace.region,
            delivery_id=delivery_id,
            at=clock.now().isoformat(),
        )
    )


def preferences_save(
    *,
    workspace,
    delivery,
    contact,
    keep_list_ids: set[int],
    first_name: str,
    last_name: str,
    subscriptions,
) -> bool:
    """Apply the recipient's choices. Returns True when they left at least one list."""
    from mailsoftly.contacts.services import contact_unsubscribe, contact_update

    left = False
    with transaction.atomic(using=workspace.database):
        if (first_name, last_name) != (contact.first_name, contact.last_name):
            contact_update(contact=contact, first_name=first_name, last_name=last_name)
        for subscription in subscriptions:
            if subscription.contact_list_id not in keep_list_ids:
                contact_unsubscribe(contact=contact, contact_list=subscription.contact_list)
                left = True
    if left:
        transaction.on_commit(
            lambda: unsubscribe_event_record(workspace=workspace, delivery_id=delivery.pk),
            using=workspace.database,
        )
    return left


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest, token: str) -> HttpResponse:
    from mailsoftly.campaigns.services import delivery_unsubscribe
    from mailsoftly.contacts.models import SubscriptionStatus
    from mailsoftly.contacts.selectors import contact_subscriptions

    found = _recipient(token)
    if found is None:
        return render(request, "tracking/preferences.html", {"state": "invalid"}, status=404)
    workspace, delivery, contact = found
    subscriptions = [
        s
        for s in contact_subscriptions(contact=contact).select_related("contact_list")
        if s.status == SubscriptionStatus.SUBSCRIBED
    ]
    choices = [(s.contact_list_id, s.contact_list.name) for s in subscriptions]
    initial = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "lists": [s.contact_list_id for s in subscriptions],
    }
    if request.method == "POST":
        if "unsubscribe_all" in request.POST:
            delivery_unsubscribe(workspace=workspace, delivery_id=delivery.pk)
            unsubscribe_event_record(workspace=workspace, delivery_id=delivery.pk)
            return render(request, "tracking/preferences.html", {"state": "left_all"})
        form = PreferencesForm(request.POST, list_choices=choices)
        if form.is_valid():
            preferences_save(
                workspace=workspace,
                delivery=delivery,
                contact=contact,
                keep_list_ids=set(form.cleaned_data["lists"]),
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                subscriptions=subscriptions,
            )
            return render(request, "tracking/preferences.html", {"state": "saved"})
    else:
        form = PreferencesForm(initial=initial, list_choices=choices)
    return render(
        request,
        "tracking/preferences.html",
        {
            "state": "edit",
            "form": form,
            "email": contact.email,
            "workspace_name": workspace.name,
        },
    )
