"""A real Celery worker sends a small campaign; the outcome is in the database rows.

The embedded run uses the file broker; with REDIS_URL set (the PostgreSQL + Redis CI run)
the same test goes through Redis. The task is sent twice: the second run finds nothing
left to claim, so the sink still receives each address once. Waits on results, never sleeps.
"""

from __future__ import annotations

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from mailsoftly.campaigns import services
from mailsoftly.campaigns import tasks as campaign_tasks
from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.campaigns.helpers import make_campaign, make_list, people


def _app(broker_url: str, backend: str, transport_options: dict | None = None) -> Celery:
    assert campaign_tasks.campaign_send_task.name == "campaigns.campaign_send"  # registered
    app = Celery("mailsoftly-campaign-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=broker_url,
        result_backend=backend,
        task_ignore_result=False,
        task_always_eager=False,
        broker_transport_options=transport_options or {},
        worker_hijack_root_logger=False,
    )
    return app


def _send_through_worker(app, workspace, smtp_server, monkeypatch):
    smtp_server.relay_for(workspace)
    contact_list, _ = make_list(workspace, people(8))
    campaign = make_campaign(workspace, contact_list)
    # Start the campaign without the in-process (eager) enqueue; the worker sends it.
    monkeypatch.setattr(services, "_enqueue_send", lambda campaign: None)
    services.campaign_send(campaign=campaign)
    kwargs = {"workspace_id": workspace.pk, "campaign_id": campaign.pk}
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        first = app.send_task("campaigns.campaign_send", kwargs=kwargs)
        second = app.send_task("campaigns.campaign_send", kwargs=kwargs)
        # Either may run first (the file broker does not promise order); one sends all.
        assert sorted([first.get(timeout=60), second.get(timeout=60)]) == [0, 8]
    statuses = set(Delivery.objects.for_workspace(workspace).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT}
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    assert campaign.status == CampaignStatus.SENT
    assert campaign.sent_count == 8
    received = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert sorted(received) == sorted(email for email, _ in people(8))


@pytest.mark.django_db(transaction=True)
def test_file_broker_worker_sends_a_campaign_exactly_once(
    tmp_path, workspace, smtp_server, monkeypatch
):
    queue = tmp_path / "queue"
    (queue / "processed").mkdir(parents=True)
    (tmp_path / "results").mkdir()
    app = _app(
        "filesystem://",
        f"file://{tmp_path / 'results'}",
        {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(queue / "processed"),
            "polling_interval": 0.05,
            "control_folder": str(tmp_path / "control"),
        },
    )
    _send_through_worker(app, workspace, smtp_server, monkeypatch)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_redis_worker_sends_a_campaign_exactly_once(redis_url, workspace, smtp_server, monkeypatch):
    _send_through_worker(_app(redis_url, redis_url), workspace, smtp_server, monkeypatch)
