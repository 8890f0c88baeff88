from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import Region
from mailsoftly.teams.models import Role


class _Bootstrap:
    def _style(self):
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class InviteForm(_Bootstrap, forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.MEMBER, Role.MEMBER.label), (Role.ADMIN, Role.ADMIN.label)],
        initial=Role.MEMBER,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class RenameForm(_Bootstrap, forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class DomainForm(_Bootstrap, forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253, help_text=_("e.g. example.com"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class BillingContactForm(_Bootstrap, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.CharField(label=_("Email address"), max_length=254, widget=forms.EmailInput)
    address = forms.CharField(
        label=_("Postal address"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class WorkspaceForm(_Bootstrap, forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=200)
    region = forms.ChoiceField(
        label=_("Data region"),
        choices=Region.choices,
        initial=Region.US,
        help_text=_("Where the workspace's contacts, emails and reports are stored."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
