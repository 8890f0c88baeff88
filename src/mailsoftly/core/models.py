from django.db import models


class OutboxMessage(models.Model):
    """A platform mail captured instead of sent, when no SMTP_URL is configured."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    raw = models.TextField(help_text="The full MIME message as it would have been sent.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
