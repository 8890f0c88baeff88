"""Forms for the design editor. Compile errors land next to the field they concern."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.designs.compiler import CompileError
from mailsoftly.designs.models import Design, SourceKind, Template
from mailsoftly.designs.services import design_validate
from mailsoftly.designs.visualdoc import VisualSourceError, merge_tags_unescape, visual_parse


class DesignForm(forms.ModelForm):
    class Meta:
        model = Design
        fields = [
            "name",
            "subject",
            "preheader",
            "from_name",
            "from_email",
            "reply_to",
            "source_kind",
            "layout",
            "source",
            "track_opens_clicks",
            "collect_ip_addresses",
        ]
        widgets = {
            "source": forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        }
        help_texts = {
            "source": _(
                "Merge tags: {{ contact.first_name }}, {{ contact.email }}, any contact field "
                "as {{ contact.<field> }}, {{ unsubscribe_url }}, {{ preferences_url }}, "
                "{{ web_version_url }}. Fallbacks: {{ contact.first_name | default('there') }}. "
                "Conditions: {% if contact.company %}…{% else %}…{% endif %}."
            ),
            "subject": _("Merge tags work here too, e.g. {{ contact.first_name }}."),
            "preheader": _("The short preview line many inboxes show after the subject."),
            "track_opens_clicks": _(
                "When off, links in this email stay as written and no open pixel is added, "
                "so its report shows no opens or clicks."
            ),
            "collect_ip_addresses": _(
                "Off by default. When on, opens and clicks of this email record the "
                "recipient's IP address and browser."
            ),
        }

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this workspace's layouts can be chosen (a foreign id is "not a valid choice").
        self.fields["layout"].queryset = (
            Template.objects.for_workspace(workspace).filter(is_layout=True)
            if workspace is not None
            else Template.objects.none()
        )
        self.fields["layout"].required = False
        self.fields["layout"].help_text = _(
            "Optional, for HTML, Markdown and plain text: wrap the body in a saved layout."
        )
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            else:
                field.widget.attrs.setdefault("class", "form-control")
            if name == "source":
                field.widget.attrs["class"] += " font-monospace"
        self.compiled = None

    def _format_change_check(self, cleaned: dict) -> None:
        """Changing to or from the visual format keeps content sensible (or says why not):
        visual content is made by the visual editor; a visual design switched to HTML
        keeps the editor's output as its HTML."""
        old_kind = self.instance.source_kind if self.instance.pk else None
        kind = cleaned.get("source_kind")
        if old_kind is None or kind == old_kind:
            return
        if kind == SourceKind.VISUAL:
            raise CompileError(
                _(
                    "To make this a visual design, use “Open visual editor”: it converts the "
                    "current email after asking you, and keeps this version in the history."
                ),
                field="source_kind",
            )
        if old_kind == SourceKind.VISUAL and cleaned.get("source") == self.instance.source:
            if kind != SourceKind.HTML:
                raise CompileError(
                    _(
                        "A visual design can be switched to HTML (it keeps the editor's output). "
                        "For another format, replace the content first."
                    ),
                    field="source_kind",
                )
            try:
                doc = visual_parse(self.instance.source)
            except VisualSourceError:
                return
            cleaned["source"] = merge_tags_unescape(doc.document())

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self._format_change_check(cleaned)
            self.compiled = design_validate(
                subject=cleaned.get("subject", ""),
                preheader=cleaned.get("preheader", ""),
                source_kind=cleaned.get("source_kind", SourceKind.BLOCKS),
                source=cleaned.get("source", ""),
                layout=cleaned.get("layout"),
            )
        except CompileError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)
        return cleaned


class TemplateSaveForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_layout = forms.BooleanField(
        label=_("Save as a layout (HTML with <!-- content --> where bodies go)"), required=False
    )


class MediaUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Image"),
        help_text=_("JPEG, PNG, GIF or WebP, up to 5 MB and 5000 pixels a side."),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    name = forms.CharField(
        label=_("Name (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
