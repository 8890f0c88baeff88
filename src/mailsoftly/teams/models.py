from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import Region, workspace_database
from mailsoftly.core.tenancy import WorkspaceOwned
from mailsoftly.core.trash import Trashable, TrashQuerySet


class Workspace(models.Model):
    """A team. Its row is in the directory; its content lives in its region's database."""

    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(
        _("data region"), max_length=2, choices=Region.choices, default=Region.US
    )
    is_personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    trashed_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def database(self) -> str:
        # The directory's current region, not this instance's (it may predate a move).
        return workspace_database(self)


class Role(models.TextChoices):
    PRIMARY_ADMIN = "primary_admin", _("Primary Admin")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class MembershipQuerySet(TrashQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(disabled_at__isnull=True)


class Membership(Trashable):
    """A user's place in a workspace. Disabled memberships grant nothing.

    Removing a member (policy P30) disables the membership at once and moves it to the
    trash (``trashed_at``); the Primary Admin may restore it within
    :data:`~mailsoftly.core.trash.RETENTION`, after which the scheduled purge deletes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # Every row, disabled or not: readers that grant access filter with .active().
    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(role="primary_admin", disabled_at__isnull=True),
                name="one_primary_admin_per_workspace",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.disabled_at is None and self.role in (Role.PRIMARY_ADMIN, Role.ADMIN)

    @property
    def is_primary_admin(self) -> bool:
        return self.disabled_at is None and self.role == Role.PRIMARY_ADMIN


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


INVITATION_LIFETIME = timedelta(days=7)


class Invitation(models.Model):
    """An emailed invitation to join a workspace, redeemed once through a signed token."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Set when the address already belongs to an account: that account sees the invitation.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Part of the signed token: a new nonce makes every earlier link worthless.
    nonce = models.CharField(max_length=32)
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace}"


class OrganisationDomain(models.Model):
    """An email domain a workspace claims, proven by a DNS TXT record (policy P22)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253)
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain"], name="domain_once_per_workspace"
            ),
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(verified_at__isnull=False),
                name="domain_verified_once",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def record_name(self) -> str:
        return f"_mailsoftly.{self.domain}"

    @property
    def record_value(self) -> str:
        return f"mailsoftly-verification={self.token}"


class BillingContact(WorkspaceOwned):
    """Who receives billing mail and may ask for the account's details (policy P21).

    Personal data of the workspace, so it lives in the workspace's region.
    """

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email address"))
    address = models.TextField(_("postal address"), max_length=1000)

    def __str__(self) -> str:
        return self.name


class BillingDetailsRequest(WorkspaceOwned):
    """A billing contact's recorded request for the account's details, and its answer."""

    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    disclosed_at = models.DateTimeField(null=True, blank=True)
    holder_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta(WorkspaceOwned.Meta):
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contact_email} at {self.created_at:%Y-%m-%d}"
