"""Claiming and verifying an organisation's email domain (policy P22).

A workspace claims a domain and publishes ``mailsoftly-verification=<token>`` as a TXT
record at ``_mailsoftly.<domain>``. Once verified (by one workspace at a time), its
Admins may list the accounts registered with an address at that domain.
"""

from __future__ import annotations

import re
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mailsoftly.audit.services import audit_record
from mailsoftly.core import clock
from mailsoftly.teams import dns
from mailsoftly.teams.errors import TeamError
from mailsoftly.teams.models import OrganisationDomain, Workspace
from mailsoftly.teams.permissions import Perm
from mailsoftly.teams.services._guard import require

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def domain_normalise(value: str) -> str:
    """Lower-case ASCII (IDNA) form of a domain, or :class:`TeamError`."""
    raw = (value or "").strip().rstrip(".").lower()
    if raw.startswith("@"):
        raw = raw[1:]
    try:
        ascii_form = raw.encode("idna").decode("ascii") if raw else ""
    except UnicodeError:
        ascii_form = ""
    labels = ascii_form.split(".")
    if (
        len(labels) < 2
        or len(ascii_form) > 253
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise TeamError(_("Enter a domain such as example.com."), field="domain")
    return ascii_form


def domain_claim(*, workspace: Workspace, actor, domain: str, request=None) -> OrganisationDomain:
    """Start claiming a domain: returns the record the workspace must publish."""
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_SETTINGS,
        attempted="domain.claim",
        details={"domain": (domain or "")[:253]},
    )
    name = domain_normalise(domain)
    try:
        with transaction.atomic():
            claim = OrganisationDomain.objects.create(
                workspace=workspace,
                domain=name,
                token=secrets.token_urlsafe(24),
                created_at=clock.now(),
            )
            audit_record(
                request=request,
                actor=actor,
                workspace=workspace,
                action="domain.claimed",
                target=claim,
                after={"domain": name},
            )
    except IntegrityError as exc:
        raise TeamError(
            _("This workspace has already claimed that domain."), field="domain"
        ) from exc
    return claim


def domain_verify(
    *, workspace: Workspace, actor, claim: OrganisationDomain, request=None, resolver=None
) -> OrganisationDomain:
    """Look up the TXT record; mark the domain verified if it carries the token."""
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_SETTINGS,
        attempted="domain.verify",
        target=claim,
    )
    if claim.workspace_id != workspace.pk:
        raise TeamError(_("That domain is not claimed by this workspace."))
    if claim.verified_at is not None:
        return claim
    try:
        values = dns.txt_values(claim.record_name, resolver=resolver)
    except dns.LookupFailed as exc:
        raise TeamError(_("DNS did not answer. Try again in a few minutes.")) from exc
    now = clock.now()
    found = claim.record_value in (v.strip() for v in values)
    OrganisationDomain.objects.filter(pk=claim.pk).update(checked_at=now)
    if not found:
        raise TeamError(
            _("No TXT record %(value)s was found at %(name)s yet. DNS changes can take a while.")
            % {"value": claim.record_value, "name": claim.record_name}
        )
    if (
        OrganisationDomain.objects.filter(domain=claim.domain, verified_at__isnull=False)
        .exclude(pk=claim.pk)
        .exists()
    ):
        raise TeamError(_("Another workspace has already verified this domain."))
    try:
        with transaction.atomic():
            OrganisationDomain.objects.filter(pk=claim.pk).update(verified_at=now)
            audit_record(
                request=request,
                actor=actor,
                workspace=workspace,
                action="domain.verified",
                target=claim,
                before={"verified": False},
                after={"verified": True, "record": claim.record_name},
            )
    except IntegrityError as exc:
        raise TeamError(_("Another workspace has already verified this domain.")) from exc
    claim.refresh_from_db()
    return claim


def domain_remove(*, workspace: Workspace, actor, claim: OrganisationDomain, request=None) -> None:
    """Give up a domain claim (verified or not)."""
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_SETTINGS,
        attempted="domain.remove",
        target=claim,
    )
    with transaction.atomic():
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="domain.removed",
            target=claim,
            before={"domain": claim.domain, "verified": claim.verified_at is not None},
        )
        OrganisationDomain.objects.filter(pk=claim.pk, workspace_id=workspace.pk).delete()
