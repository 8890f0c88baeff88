"""The engine's store for one campaign: claims, outcomes and counts, in database rows.

Exactly-once, and where it stops
--------------------------------
A Delivery moves ``queued → sending → sent | bounced | failed`` (or back to ``queued``
for a retry) only through conditional UPDATEs:

* **Claim.** In one transaction, pick up to N rows that are ``queued`` and due, or
  ``sending`` with an expired lease, and set them ``sending`` with a fresh random
  ``claim_token`` and a lease. On PostgreSQL the pick is ``SELECT … FOR UPDATE SKIP
  LOCKED``, so concurrent workers take disjoint rows without waiting; on SQLite the
  transaction is ``BEGIN IMMEDIATE`` (settings), which serialises writers, so the pick
  and the update are one atomic step. Either way two workers, or the same task run
  twice, never hold the same row.
* **Check again.** Just before sending, rows whose contact was trashed, unsubscribed,
  bounced or suppressed since the audience was frozen become ``skipped`` (P27).
* **Send** outside any transaction.
* **Record.** ``UPDATE … WHERE id IN (…) AND claim_token = <ours> AND status='sending'``.
  A worker whose lease expired and whose rows were reclaimed cannot overwrite the new
  owner's outcome.

A worker that dies (SIGKILL, power loss) leaves rows ``sending``; when the lease expires
they are claimed again. For a row the SMTP server never accepted, that resend is the
first delivery: exactly once. The one window that cannot be closed from our side is
"the server answered 250 to DATA, then the worker died before the UPDATE committed": the
recipient gets the message again (at-least-once for that row). The engine writes
outcomes as they arrive, every ``checkpoint`` messages or ``checkpoint_seconds`` (25 /
0.25 s by default, see :class:`mailsoftly.sending.engine.Limits`), so a crash re-sends at
most the messages accepted since the last checkpoint, per worker; the resend carries the same Message-ID (derived from the delivery id), so
receivers that de-duplicate by Message-ID show it once. Making the window smaller costs a
database write per message.

A dropped database connection (a failover, a restart, ``pg_terminate_backend``) does not
end the run: each store method reconnects and tries again for up to a minute
(:data:`DB_RETRY_SECONDS`), holding the outcomes SMTP already gave, so nothing is resent.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.db.models import Count, F, Q

from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailsoftly.core import clock
from mailsoftly.sending.engine import Recipient
from mailsoftly.sending.messengers import Outcome, Result

MAX_ATTEMPTS = 4
# A dropped database connection (failover, restart, pg_terminate_backend) is retried for
# this long before the run gives up; the rows stay leased and the sweep resumes them.
DB_RETRY_SECONDS = 60.0

log = logging.getLogger(__name__)


def _db_retry(method):
    """Run a store method again on a fresh connection when the database connection drops.

    Safe because every write is a conditional UPDATE on our claim token: a retry of a
    write that did commit changes nothing. Outcomes that SMTP already accepted are kept in
    memory meanwhile, so a short outage neither loses nor duplicates a message.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        deadline = time.monotonic() + DB_RETRY_SECONDS
        delay = 0.1
        while True:
            try:
                return method(self, *args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if (
                    time.monotonic() + delay > deadline
                    or transaction.get_connection(self.db).in_atomic_block
                ):
                    raise
                log.warning("store %s: database error, retrying: %s", method.__name__, exc)
                connections[self.db].close()
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    return wrapper


RETRY_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))


def _lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "SENDING_LEASE_SECONDS", 300))


class DeliveryStore:
    """Implements :class:`mailsoftly.sending.engine.Store` for one campaign."""

    def __init__(self, *, campaign: Campaign) -> None:
        self.campaign = campaign
        self.workspace = campaign.workspace
        self.db = self.workspace.database
        self.token = secrets.token_hex(16)
        self._cursor = 0  # the highest id this store claimed (see claim)
        self._rows = Delivery.objects.for_workspace(self.workspace).filter(campaign=campaign)

    # -- claiming -------------------------------------------------------------------------

    def _claimable(self, after: int = 0):
        now = clock.now()
        due = Q(status=DeliveryStatus.QUEUED) & (
            Q(not_before__isnull=True) | Q(not_before__lte=now)
        )
        if after:
            due &= Q(id__gt=after)
        expired = Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
        return self._rows.filter(due | expired).order_by("id")

    def claim(self, limit: int) -> list[int]:
        """Take up to ``limit`` rows for this store's token. Returns their ids.

        Rows are claimed in id order, and this store looks above its last claim first:
        every row sent leaves a dead entry under "queued" in the claim index until vacuum,
        and a scan from the start of the campaign read them all (a third of a second per
        claim near the end of 100,000 rows). Once nothing is left above, one scan from the
        start picks up what is below (retries that came due, rows of a dead worker)."""
        ids = self._claim(limit, after=self._cursor)
        if not ids and self._cursor:
            ids = self._claim(limit, after=0)
        if ids:
            self._cursor = max(ids)
        return ids

    def _claim(self, limit: int, *, after: int) -> list[int]:
        with transaction.atomic(using=self.db):
            candidates = self._claimable(after)
            if transaction.get_connection(self.db).features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            ids = list(candidates.values_list("id", flat=True)[:limit])
            if ids:
                now = clock.now()
                self._rows.filter(id__in=ids).update(
                    status=DeliveryStatus.SENDING,
                    claim_token=self.token,
                    lease_expires_at=now + _lease(),
                    attempts=F("attempts") + 1,
                    updated_at=now,
                )
        return ids

    @_db_retry
    def next_batch(self, limit: int) -> list[Recipient]:
        from mailsoftly.campaigns import audience

        while True:
            ids = self.claim(limit)
            if not ids:
                return []
            rows = list(
                self._rows.filter(id__in=ids, claim_token=self.token).values(
                    "id", "contact_id", "email", "attempts"
                )
            )
            over = [row["id"] for row in rows if row["attempts"] > MAX_ATTEMPTS]
            if over:
                self._finish(over, DeliveryStatus.FAILED, reason="too many attempts")
            rows = [row for row in rows if row["attempts"] <= MAX_ATTEMPTS]
            contacts, skipped = audience.recheck(
                workspace=self.workspace, contact_ids=[row["contact_id"] for row in rows]
            )
            by_reason: dict[str, list[int]] = defaultdict(list)
            recipients = []
            for row in rows:
                reason = skipped.get(row["contact_id"])
                if reason:
                    by_reason[reason].append(row["id"])
                    continue
                contact = contacts[row["contact_id"]]
                recipients.append(
                    Recipient(key=row["id"], email=row["email"], name=contact["name"], data=contact)
                )
            for reason, delivery_ids in by_reason.items():
                self._finish(delivery_ids, DeliveryStatus.SKIPPED, reason=reason)
            if recipients:
                return recipients
            # The whole claim was skipped: claim again rather than end the run early.

    # -- outcomes -------------------------------------------------------------------------

    def _finish(self, ids: list[int], status: str, **fields) -> int:
        return self._rows.filter(
            id__in=ids, claim_token=self.token, status=DeliveryStatus.SENDING
        ).update(status=status, lease_expires_at=None, updated_at=clock.now(), **fields)

    def record(self, results: list[Result]) -> None:
        bounced_ids = self._record_rows(results)
        if bounced_ids:
            self._mark_bounced(bounced_ids)

    @_db_retry
    def _record_rows(self, results: list[Result]) -> list[int]:
        now = clock.now()
        groups: dict[tuple, list[int]] = defaultdict(list)
        retries: list[Result] = []
        for result in results:
            if result.outcome == Outcome.RETRY:
                retries.append(result)
            else:
                groups[(result.outcome, result.code, result.detail[:500])].append(result.key)
        bounced_ids: list[int] = []
        with transaction.atomic(using=self.db):
            for (outcome, code, detail), ids in groups.items():
                if outcome == Outcome.SENT:
                    self._finish(ids, DeliveryStatus.SENT, sent_at=now, smtp_code=code, reason="")
                    self._emit_sent(ids, now)
                elif outcome == Outcome.BOUNCED:
                    self._finish(ids, DeliveryStatus.BOUNCED, smtp_code=code, reason=detail)
                    bounced_ids.extend(ids)
                else:
                    self._finish(ids, DeliveryStatus.FAILED, smtp_code=code, reason=detail)
            if retries:
                self._retry(retries, now)
        return bounced_ids

    def _emit_sent(self, ids: list[int], at) -> None:
        """``delivery.sent`` webhooks, in the outcome's transaction; one query per flush
        when no endpoint of the workspace wants them."""
        from mailsoftly.webhooks.models import WebhookEndpoint
        from mailsoftly.webhooks.services import webhook_emit

        wanted = any(
            "delivery.sent" in (endpoint.events or [])
            for endpoint in WebhookEndpoint.objects.for_workspace(self.workspace).filter(
                disabled_at__isnull=True
            )
        )
        if not wanted:
            return
        rows = self._rows.filter(id__in=ids, status=DeliveryStatus.SENT).values_list(
            "id", "contact_id"
        )
        for delivery_id, contact_id in rows:
            webhook_emit(
                workspace=self.workspace,
                event="delivery.sent",
                data={
                    "delivery": {"id": delivery_id, "campaign_id": self.campaign.pk},
                    "contact": {"id": contact_id},
                    "occurred_at": at.isoformat(),
                },
            )

    @_db_retry
    def _mark_bounced(self, bounced_ids: list[int]) -> None:
        from mailsoftly.campaigns import audience

        audience.mark_hard_bounced(
            workspace=self.workspace,
            contact_ids=list(
                self._rows.filter(id__in=bounced_ids).values_list("contact_id", flat=True)
            ),
        )

    def _retry(self, retries: list[Result], now) -> None:
        attempts = dict(
            self._rows.filter(id__in=[r.key for r in retries]).values_list("id", "attempts")
        )
        for result in retries:
            tried = attempts.get(result.key, MAX_ATTEMPTS)
            detail = f"{result.code or ''} {result.detail}".strip()[:500]
            if tried >= MAX_ATTEMPTS:
                self._finish(
                    [result.key], DeliveryStatus.FAILED, reason=detail, smtp_code=result.code
                )
            else:
                wait = RETRY_BACKOFF[min(tried, len(RETRY_BACKOFF)) - 1]
                self._finish(
                    [result.key],
                    DeliveryStatus.QUEUED,
                    reason=detail,
                    smtp_code=result.code,
                    not_before=now + wait,
                    claim_token="",
                )

    # -- campaign state -------------------------------------------------------------------

    @_db_retry
    def is_running(self) -> bool:
        status = (
            Campaign.objects.for_workspace(self.workspace)
            .filter(pk=self.campaign.pk)
            .values_list("status", flat=True)
            .first()
        )
        return status == CampaignStatus.SENDING

    @_db_retry
    def pause(self, reason: str) -> None:
        Campaign.objects.for_workspace(self.workspace).filter(
            pk=self.campaign.pk, status=CampaignStatus.SENDING
        ).update(status=CampaignStatus.PAUSED, status_reason=reason, updated_at=clock.now())

    @_db_retry
    def update_counts(self) -> None:
        counts = dict(
            self._rows.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        total = sum(counts.values())
        open_rows = counts.get(DeliveryStatus.QUEUED, 0) + counts.get(DeliveryStatus.SENDING, 0)
        now = clock.now()
        campaigns = Campaign.objects.for_workspace(self.workspace).filter(pk=self.campaign.pk)
        with transaction.atomic(using=self.db):
            campaigns.update(
                total_count=total,
                sent_count=counts.get(DeliveryStatus.SENT, 0),
                failed_count=counts.get(DeliveryStatus.FAILED, 0),
                bounced_count=counts.get(DeliveryStatus.BOUNCED, 0),
                skipped_count=counts.get(DeliveryStatus.SKIPPED, 0),
                updated_at=now,
            )
            if open_rows == 0 and campaigns.filter(
                status=CampaignStatus.SENDING, audience_complete=True
            ).update(status=CampaignStatus.SENT, finished_at=now):
                from mailsoftly.campaigns.services import campaign_finished

                self.campaign.status = CampaignStatus.SENT
                campaign_finished(
                    campaign=self.campaign,
                    sent=counts.get(DeliveryStatus.SENT, 0),
                    bounced=counts.get(DeliveryStatus.BOUNCED, 0),
                )

    @_db_retry
    def has_work(self) -> bool:
        """Rows still to send now or later (queued or held under a lease)."""
        return self._rows.filter(
            status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
        ).exists()
