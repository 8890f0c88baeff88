from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import Region, database_for


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
        return database_for(self.region)


class Role(models.TextChoices):
    PRIMARY_ADMIN = "primary_admin", _("Primary Admin")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    """A user's place in a workspace. Disabled memberships grant nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True, db_index=True)

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
        return self.role in (Role.PRIMARY_ADMIN, Role.ADMIN)
