import pytest
from django.core import mail
from django.urls import reverse

from mailsoftly.teams.services import workspace_create
from tests.factories import UserFactory


def test_dashboard_requires_login(client):
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_dashboard_shows_current_workspace_and_switcher(logged_in_client, user, workspace):
    other = workspace_create(owner=user, name="Second team")
    page = logged_in_client.get(reverse("web:dashboard")).content.decode()
    assert '<h1 class="h3 mb-4">Acme</h1>' in page
    assert f'<option value="{other.pk}">Second team</option>' in page
    assert 'id="main"' in page and "Skip to main content" in page


def test_switching_to_own_workspace_changes_current(logged_in_client, user):
    other = workspace_create(owner=user, name="Second team")
    response = logged_in_client.post(
        reverse("web:workspace_switch"), {"workspace": other.pk}, follow=True
    )
    assert response.context["current_workspace"] == other
    assert "Switched to Second team." in response.content.decode()


@pytest.mark.policy("P01", "P02")
def test_switching_to_someone_elses_workspace_is_refused(logged_in_client, workspace):
    stranger = UserFactory()
    theirs = workspace_create(owner=stranger, name="Not yours")
    response = logged_in_client.post(
        reverse("web:workspace_switch"), {"workspace": theirs.pk}, follow=True
    )
    assert response.context["current_workspace"] == workspace
    assert "does not exist or you are not a member" in response.content.decode()


@pytest.mark.parametrize("value", ["", "abc", "99999999999999999999", "-1"])
def test_switching_with_garbage_is_a_clear_message_not_a_500(logged_in_client, value):
    response = logged_in_client.post(
        reverse("web:workspace_switch"), {"workspace": value}, follow=True
    )
    assert response.status_code == 200
    assert "does not exist" in response.content.decode()


@pytest.mark.parametrize("target", ["abc", "-1", "//evil.example/", "https://evil.example/"])
def test_switching_goes_only_to_a_path_on_this_site(logged_in_client, workspace, target):
    response = logged_in_client.post(
        reverse("web:workspace_switch"), {"workspace": workspace.pk, "next": target}
    )
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")


def test_switching_returns_to_the_page_it_came_from(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("web:workspace_switch"), {"workspace": workspace.pk, "next": "/contacts/?q=a"}
    )
    assert response.url == "/contacts/?q=a"


def test_outbox_is_staff_only(logged_in_client):
    assert logged_in_client.get(reverse("web:outbox")).status_code == 302


def test_outbox_captures_platform_mail_and_shows_it_sandboxed(client, settings, db):
    from mailsoftly.core.mail import platform_mail_send

    settings.MAILERS = {"default": {"BACKEND": "mailsoftly.core.mail.OutboxBackend"}}
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    sent = platform_mail_send(
        to=["ann@example.com"],
        subject="Hello",
        text="Plain",
        html="<b>Bold</b><script>x()</script>",
    )
    assert sent == 1
    assert mail.outbox == []  # captured in the database, not Django's test outbox
    listing = client.get(reverse("web:outbox")).content.decode()
    assert "Hello" in listing and "ann@example.com" in listing
    from mailsoftly.core.models import OutboxMessage

    message = OutboxMessage.objects.get()
    detail = client.get(reverse("web:outbox_detail", args=[message.pk])).content.decode()
    assert 'sandbox=""' in detail
    assert "<script>" not in detail
    raw = client.get(reverse("web:outbox_html", args=[message.pk]))
    assert raw["Content-Security-Policy"].startswith("sandbox")
    assert "Content-Type: multipart/alternative" in message.raw


def _nav(page: str) -> tuple[str, str]:
    """(top bar, Settings menu) parts of the navbar's HTML."""
    start = page.index('<ul class="navbar-nav me-auto">')
    menu = page.index('<li class="nav-item dropdown">', start)
    end = page.index("</ul>", menu)
    return page[start:menu], page[menu:end]


def test_workspace_settings_pages_are_grouped_in_one_settings_menu(logged_in_client):
    page = logged_in_client.get(reverse("web:dashboard")).content.decode()
    bar, menu = _nav(page)
    settings_pages = [
        "sending:settings",
        "api:keys",
        "webhooks:endpoint_list",
        "teams:settings",
        "teams:members",
        "teams:invitations",
        "billing:plan",
        "audit:log",
        "lifecycle:exports",
        "lifecycle:trash",
    ]
    for name in settings_pages:
        href = f'href="{reverse(name)}"'
        assert href in menu, name
        assert href not in bar, name
    for name in ("contacts:contact_list", "designs:list", "campaigns:list"):
        assert f'href="{reverse(name)}"' in bar, name
    assert 'data-bs-toggle="dropdown"' in menu and 'aria-expanded="false"' in menu
    # The bar itself stays short: daily work only.
    assert bar.count('class="nav-item"') <= 6


def test_settings_menu_is_marked_current_on_a_settings_page(logged_in_client):
    page = logged_in_client.get(reverse("teams:members")).content.decode()
    _bar, menu = _nav(page)
    assert 'dropdown-toggle active"' in menu
    assert (
        f'class="dropdown-item active" aria-current="page" href="{reverse("teams:members")}"'
        in (menu)
    )


def test_a_member_sees_only_the_settings_pages_open_to_members(client, user, workspace):
    from mailsoftly.teams.models import Membership, Role

    member = UserFactory()
    Membership.objects.create(user=member, workspace=workspace, role=Role.MEMBER)
    client.force_login(member)
    client.post(reverse("web:workspace_switch"), {"workspace": workspace.pk})
    _bar, menu = _nav(client.get(reverse("web:dashboard")).content.decode())
    assert f'href="{reverse("teams:members")}"' in menu
    assert f'href="{reverse("lifecycle:trash")}"' in menu
    assert f'href="{reverse("api:keys")}"' not in menu
    assert f'href="{reverse("billing:plan")}"' not in menu


def test_an_unknown_navigation_section_is_refused():
    from mailsoftly.web.registry import nav_item

    with pytest.raises(ValueError, match="unknown navigation section"):
        nav_item("Odd", "web:dashboard", section="sidebar")
