"""Where mail goes out: SMTP servers, sender identities, DKIM keys, and the local capture.

All of these are workspace-owned, so they live in the workspace's region database:
an EU workspace's SMTP password, DKIM key and captured campaign mail stay in the EU.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.crypto import EncryptedTextField
from mailsoftly.core.tenancy import WorkspaceOwned
from mailsoftly.sending import dkim
from mailsoftly.sending.messengers import SmtpConfig


class SmtpServer(WorkspaceOwned):
    """An SMTP relay a workspace sends through. The password is encrypted at rest (P04)."""

    class SecurityChoices(models.TextChoices):
        NONE = "none", _("None (plain SMTP)")
        STARTTLS = "starttls", _("STARTTLS")
        TLS = "tls", _("Implicit TLS")

    name = models.CharField(_("name"), max_length=120)
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("security"), max_length=10, choices=SecurityChoices.choices, default="starttls"
    )
    username = models.CharField(_("username"), max_length=255, blank=True)
    password = EncryptedTextField(_("password"), blank=True)
    max_connections = models.PositiveSmallIntegerField(
        _("maximum connections"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(64)],
    )
    rate_limit_per_second = models.PositiveIntegerField(
        _("messages per second"),
        default=0,
        help_text=_("0 means no limit."),
        validators=[MaxValueValidator(100000)],
    )
    is_default = models.BooleanField(_("default server"), default=False)

    class Meta:
        ordering = ["-is_default", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"

    def config(self) -> SmtpConfig:
        return SmtpConfig(
            host=self.host,
            port=self.port,
            security=self.security,
            username=self.username,
            password=self.password or "",
            max_connections=self.max_connections,
            rate_per_second=self.rate_limit_per_second,
        )


class SenderIdentity(WorkspaceOwned):
    """A From name and address campaigns can send as."""

    from_name = models.CharField(_("from name"), max_length=120)
    from_email = models.EmailField(_("from address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        ordering = ["from_email", "id"]
        verbose_name_plural = "sender identities"

    def __str__(self) -> str:
        return f"{self.from_name} <{self.from_email}>"

    @property
    def domain(self) -> str:
        return self.from_email.rpartition("@")[2].lower()


class DkimKey(WorkspaceOwned):
    """A DKIM key for one sending domain. The private key is encrypted at rest (P04)."""

    class Algorithm(models.TextChoices):
        RSA = "rsa", _("RSA-2048")
        ED25519 = "ed25519", _("Ed25519")

    domain = models.CharField(_("domain"), max_length=253)
    selector = models.CharField(_("selector"), max_length=63)
    algorithm = models.CharField(
        _("algorithm"), max_length=10, choices=Algorithm.choices, default="rsa"
    )
    private_key = EncryptedTextField(editable=False)
    public_key = models.TextField(editable=False)

    class Meta:
        ordering = ["domain", "algorithm", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain", "selector"],
                condition=models.Q(trashed_at__isnull=True),
                name="dkim_selector_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def dns_value(self) -> str:
        return dkim.dns_txt_value(algorithm=self.algorithm, public_b64=self.public_key)

    def signer(self) -> dkim.Signer:
        return dkim.Signer(
            domain=self.domain,
            selector=self.selector,
            algorithm=self.algorithm,
            private_pem=self.private_key,
        )


class CapturedMessage(WorkspaceOwned):
    """Campaign mail kept instead of sent when the workspace has no SMTP server.

    Regional on purpose (unlike the platform Outbox): captured EU mail holds EU contacts'
    data and stays in the EU database.
    """

    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    delivery_id = models.BigIntegerField(null=True, blank=True)
    mail_from = models.CharField(max_length=320)
    rcpt_to = models.CharField(max_length=320)
    subject = models.CharField(max_length=998, blank=True)
    raw = models.BinaryField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.rcpt_to}"

    @classmethod
    def from_envelope(cls, envelope, *, workspace, campaign_id=None) -> CapturedMessage:
        return cls(
            workspace=workspace,
            campaign_id=campaign_id,
            delivery_id=envelope.key,
            mail_from=envelope.mail_from,
            rcpt_to=envelope.rcpt_to,
            subject=_subject_of(envelope.data),
            raw=envelope.data,
        )

    def message(self):
        import email
        import email.policy

        return email.message_from_bytes(bytes(self.raw), policy=email.policy.default)


def _subject_of(data: bytes) -> str:
    import email.header

    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.replace(b"\r\n\t", b" ").replace(b"\r\n ", b" ").split(b"\r\n"):
        if line[:8].lower() == b"subject:":
            raw = line[8:].strip().decode("ascii", "replace")
            return str(email.header.make_header(email.header.decode_header(raw)))[:998]
    return ""


class BounceRecord(WorkspaceOwned):
    """One bounce or complaint that was applied to one of our deliveries.

    ``key`` (a hash of the bounce's Message-ID, or of its bytes when it has none) makes
    processing idempotent: the same message read twice is stored, and acted on, once.
    The rows also count consecutive soft bounces per address.
    """

    key = models.CharField(max_length=64)
    delivery = models.ForeignKey(
        "campaigns.Delivery", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email_key = models.CharField(max_length=320)
    kind = models.CharField(max_length=10)
    status = models.CharField(max_length=16, blank=True)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    diagnostic = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="bounce_once_per_message")
        ]
        indexes = [models.Index(fields=["workspace", "email_key"], name="bounce_by_address")]

    def __str__(self) -> str:
        return f"{self.kind} {self.email_key}"


class BounceHook(WorkspaceOwned):
    """A secret URL token with which an outside service (Amazon SES through SNS, an MTA
    piping DSNs) posts this workspace's bounces to ``/hooks/bounces/<source>/``.

    Only a SHA-256 of the token is stored (P04); the token is shown once. It names its
    region (``bh_<region>_…``), so the hook is found without looking in every region.
    A hook acts only on its own workspace's deliveries.
    """

    name = models.CharField(_("name"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=16, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_hint}…)"
