"""The UI is translated through Django i18n; English is the source, German a full locale."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

import mailsoftly
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PO = Path(mailsoftly.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"


@pytest.mark.policy("P35")
def test_german_catalog_is_complete_and_compiled():
    text = PO.read_text(encoding="utf-8")
    # An empty msgstr not continued on the next line is a missing translation.
    untranslated = re.findall(
        r'msgid "(.*)"\n(?:msgid_plural .*\n)?msgstr(?:\[\d\])? ""\n(?!")', text + "\n"
    )
    assert untranslated == []
    assert "fuzzy" not in text
    assert PO.with_suffix(".mo").stat().st_mtime >= PO.stat().st_mtime - 1


@pytest.mark.policy("P35", "P08")
def test_visitor_with_german_cookie_signs_up_in_german(client, django_capture_on_commit_callbacks):
    client.cookies["django_language"] = "de"
    page = client.get(reverse("account_signup")).content.decode()
    assert "Ich bin 13 Jahre oder älter." in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "username": "hanna",
                "email": "hanna@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "age_confirmed": "on",
                "accept_privacy": "on",
            },
        )
    welcome = next(
        m for m in mail.outbox if m.to == ["hanna@example.com"] and "Willkommen" in m.subject
    )
    assert "Ihr Konto wurde angelegt" in welcome.body
    from mailsoftly.accounts.models import User

    assert User.objects.get(username="hanna").language == "de"
