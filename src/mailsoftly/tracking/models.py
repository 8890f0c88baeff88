"""Tracking rows. All regional: events follow their delivery into its region's database."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.tenancy import WorkspaceOwned


class TrackingSettings(WorkspaceOwned):
    """Per-workspace tracking switches and the thresholds of the interest rates."""

    tracking_enabled = models.BooleanField(_("track opens and clicks"), default=True)
    very_interested_opens = models.PositiveSmallIntegerField(
        _("opens that make a recipient very interested"), default=3
    )
    very_interested_links = models.PositiveSmallIntegerField(
        _("different links clicked that make a recipient very interested"), default=2
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="tracking_settings_once"),
        ]


class Link(WorkspaceOwned):
    """One distinct destination of one campaign. Clicks redirect only to ``url``."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="tracked_links"
    )
    url = models.TextField()
    url_hash = models.CharField(max_length=64)
    is_honeypot = models.BooleanField(default=False)
    clicks = models.PositiveIntegerField(default=0)
    unique_clicks = models.PositiveIntegerField(default=0)
    machine_clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "url_hash"], name="link_once_per_campaign"),
        ]

    def __str__(self) -> str:
        return self.url


class EventKind(models.TextChoices):
    OPEN = "open", _("Open")
    CLICK = "click", _("Click")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
    BOUNCE = "bounce", _("Bounce")
    COMPLAINT = "complaint", _("Complaint")


class Event(WorkspaceOwned):
    """One open, click, unsubscribe, bounce or complaint of one delivery.

    ``key`` makes ingestion idempotent: an event drained twice is stored once. ``ip`` and
    ``user_agent`` stay empty unless the email's creator switched IP collection on (P37).
    """

    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(
        "campaigns.Delivery", on_delete=models.CASCADE, related_name="tracking_events"
    )
    link = models.ForeignKey(
        Link, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    occurred_at = models.DateTimeField(db_index=True)
    is_machine = models.BooleanField(default=False)
    machine_reason = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["campaign", "kind", "occurred_at"], name="event_report")]


class Engagement(WorkspaceOwned):
    """Running totals for one delivery, so reports never scan events."""

    delivery = models.OneToOneField(
        "campaigns.Delivery", on_delete=models.CASCADE, related_name="engagement"
    )
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    machine_opens = models.PositiveIntegerField(default=0)
    machine_clicks = models.PositiveIntegerField(default=0)
    links_clicked = models.JSONField(default=list)
    first_open_at = models.DateTimeField(null=True, blank=True)
    first_click_at = models.DateTimeField(null=True, blank=True)
    interested = models.BooleanField(default=False)
    very_interested = models.BooleanField(default=False)


class CampaignStats(WorkspaceOwned):
    """Campaign counters, kept up to date as events arrive (humans only unless named)."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="tracking_stats"
    )
    opens = models.PositiveIntegerField(default=0)
    unique_opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    unique_clicks = models.PositiveIntegerField(default=0)
    machine_opens = models.PositiveIntegerField(default=0)
    machine_clicks = models.PositiveIntegerField(default=0)
    unsubscribes = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    hard_bounces = models.PositiveIntegerField(default=0)
    soft_bounces = models.PositiveIntegerField(default=0)
    interested = models.PositiveIntegerField(default=0)
    very_interested = models.PositiveIntegerField(default=0)


class CampaignActivity(WorkspaceOwned):
    """Human opens and clicks per hour, for the report's charts."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hour"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "hour"], name="activity_once_per_hour"),
        ]
