"""Organisation domain (P22): claim, verify by DNS TXT, list accounts at the domain."""

import pytest
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.teams.errors import PermissionRefused, TeamError
from mailsoftly.teams.models import OrganisationDomain, Role
from mailsoftly.teams.selectors import domain_account_list
from mailsoftly.teams.services import domain_claim, domain_verify, workspace_create
from tests.clients import signed_in
from tests.factories import UserFactory
from tests.teams.helpers import add_member
from tests.teams.stubs import StubResolver


@pytest.fixture(autouse=True)
def stub_dns(settings):
    settings.TEAMS_DNS_RESOLVER = "tests.teams.stubs.StubResolver"
    StubResolver.RECORDS, StubResolver.TIMEOUT, StubResolver.queries = {}, set(), []
    return StubResolver


def _publish(claim, *extra):
    StubResolver.RECORDS[claim.record_name] = [("v=spf1 -all",), *extra, (claim.record_value,)]


@pytest.mark.policy("P22")
def test_verified_domain_lists_accounts_registered_there(client, user, workspace):
    ann = UserFactory(username="ann", email="ann@acme.example")
    bob = UserFactory(username="bob", email="Bob@ACME.example")
    UserFactory(username="eve", email="eve@elsewhere.example")
    UserFactory(username="mallory", email="mallory@notacme.example")
    signed_in(client, user, workspace)
    client.post(reverse("teams:settings"), {"section": "domain", "domain": "ACME.example."})
    claim = OrganisationDomain.objects.get()
    assert claim.domain == "acme.example" and claim.verified_at is None
    assert client.get(reverse("teams:domain_accounts", args=[claim.pk])).context["accounts"] == []
    _publish(claim)
    client.post(reverse("teams:domain_verify", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.verified_at is not None
    assert StubResolver.queries == [("_mailsoftly.acme.example", "TXT")]
    page = client.get(reverse("teams:domain_accounts", args=[claim.pk]))
    assert [a["username"] for a in page.context["accounts"]] == [ann.username, bob.username]
    assert "eve" not in page.content.decode() and "mallory" not in page.content.decode()
    assert AuditEvent.objects.filter(action="domain.verified").exists()


@pytest.mark.policy("P22")
def test_without_the_record_the_domain_stays_unverified(user, workspace):
    claim = domain_claim(workspace=workspace, actor=user, domain="acme.example")
    StubResolver.RECORDS[claim.record_name] = [("mailsoftly-verification=wrong",)]
    with pytest.raises(TeamError, match="No TXT record"):
        domain_verify(workspace=workspace, actor=user, claim=claim)
    claim.refresh_from_db()
    assert claim.verified_at is None and claim.checked_at is not None
    assert domain_account_list(workspace=workspace, claim=claim) == []


def test_multi_string_txt_records_are_joined(user, workspace):
    claim = domain_claim(workspace=workspace, actor=user, domain="acme.example")
    value = claim.record_value
    StubResolver.RECORDS[claim.record_name] = [(value[:10], value[10:])]
    assert domain_verify(workspace=workspace, actor=user, claim=claim).verified_at is not None


def test_dns_timeout_is_a_message_not_a_500(logged_in_client, user, workspace):
    claim = domain_claim(workspace=workspace, actor=user, domain="acme.example")
    StubResolver.TIMEOUT.add(claim.record_name)
    response = logged_in_client.post(reverse("teams:domain_verify", args=[claim.pk]), follow=True)
    assert response.status_code == 200
    assert "DNS did not answer" in response.content.decode()


def test_only_one_workspace_can_verify_a_domain(user, workspace):
    other_owner = UserFactory()
    other = workspace_create(owner=other_owner, name="Other")
    first = domain_claim(workspace=workspace, actor=user, domain="acme.example")
    second = domain_claim(workspace=other, actor=other_owner, domain="acme.example")
    _publish(first)
    domain_verify(workspace=workspace, actor=user, claim=first)
    _publish(second)
    with pytest.raises(TeamError, match="Another workspace"):
        domain_verify(workspace=other, actor=other_owner, claim=second)


@pytest.mark.parametrize(
    "value", ["", "localhost", "exa mple.com", "-bad-.com", "a..b", "1.2.3.4", "x" * 300]
)
def test_bad_domains_get_a_message_next_to_the_field(logged_in_client, value):
    response = logged_in_client.post(
        reverse("teams:settings"), {"section": "domain", "domain": value}
    )
    assert response.status_code == 400
    assert response.context["domain_form"].errors
    assert not OrganisationDomain.objects.exists()


def test_unicode_domains_are_stored_in_ascii_form(user, workspace):
    claim = domain_claim(workspace=workspace, actor=user, domain="bücher.example")
    assert claim.domain == "xn--bcher-kva.example"


def test_members_cannot_claim_or_read_domain_accounts(client, user, workspace):
    member, _ = add_member(workspace)
    with pytest.raises(PermissionRefused):
        domain_claim(workspace=workspace, actor=member, domain="acme.example")
    claim = domain_claim(workspace=workspace, actor=user, domain="acme.example")
    signed_in(client, member, workspace)
    assert client.get(reverse("teams:domain_accounts", args=[claim.pk])).status_code == 403
    admin, _ = add_member(workspace, Role.ADMIN)
    signed_in(client, admin, workspace)
    assert client.get(reverse("teams:domain_accounts", args=[claim.pk])).status_code == 200


def test_default_resolver_is_dnspython(settings):
    import dns.resolver

    from mailsoftly.teams.dns import get_resolver

    settings.TEAMS_DNS_RESOLVER = ""
    assert isinstance(get_resolver(), dns.resolver.Resolver)
