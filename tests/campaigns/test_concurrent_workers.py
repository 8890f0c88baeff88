"""Two workers send the same campaign at the same moment: each address gets one message.

Real threads, each with its own database connection, against the real SMTP server. Runs on
PostgreSQL, where the claims use SKIP LOCKED. The threads start together on a barrier; no sleeps.

Why it used to fail under heavy load: both threads run the content screen before their first
message, and each screening check has a wall-clock budget (2 s). Two screens sharing one GIL
on a machine at load 20+ ran out of it, the verdict became "hold (timeout)", the campaign
paused and nothing was sent. The screen still runs here, in both threads at once, but its
budget never expires: what this test checks is the claiming, not the clock.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.campaigns.tasks import campaign_send_task
from tests.campaigns.helpers import make_campaign, make_list, people


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_an_address_twice(workspace, smtp_server, settings):
    if connections["default"].vendor == "sqlite":
        # The SQLite *test* database is in memory with a shared cache, whose table locks
        # bypass the busy timeout; the real embedded database (a WAL file, BEGIN
        # IMMEDIATE, 20 s busy timeout) makes the second writer wait instead. The claim
        # logic is the same; test_two_workers_claim_disjoint_batches covers it here.
        pytest.skip("needs a server database (the PostgreSQL CI run)")
    settings.SENDING_BATCH_SIZE = 7  # many small claims, so the workers interleave
    smtp_server.relay_for(workspace, max_connections=2)
    contact_list, _ = make_list(workspace, people(60))
    campaign = make_campaign(workspace, contact_list)
    services.campaign_send(campaign=campaign, enqueue=False)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk))
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
        assert not thread.is_alive(), "a sender did not finish in 10 minutes"
    assert not errors, errors
    assert Campaign.objects.for_workspace(workspace).get(pk=campaign.pk).status_reason == ""
    assert sum(results) == 60
    received = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert len(received) == 60
    assert len(set(received)) == 60
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    assert campaign.status == CampaignStatus.SENT
    assert campaign.sent_count == 60
