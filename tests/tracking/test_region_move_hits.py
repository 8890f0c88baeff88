"""Opens and clicks in mail sent before a region move still count after it: the token
names the old region, the delivery and its links live on in the new one under the same
ids, and the events are stored there."""

import datetime as dt
import re

import pytest

from mailsoftly.campaigns.models import Delivery
from mailsoftly.core import clock
from mailsoftly.residency import services as residency
from mailsoftly.tracking.models import CampaignStats, Event, Link
from mailsoftly.tracking.recorder import drain
from tests.campaigns.test_unsubscribe_regions import _regional_media  # noqa: F401
from tests.tracking.test_sent_mail import HUMAN_UA, _send


@pytest.mark.policy("P40")
def test_a_click_and_an_open_from_before_the_move_count_in_the_new_region(
    client, workspace, smtp_server, django_capture_on_commit_callbacks, settings
):
    campaign, mime = _send(workspace, smtp_server, django_capture_on_commit_callbacks)
    html = mime.get_body(("html",)).get_content()
    base = re.escape(settings.BASE_URL)
    clicks = re.findall(r'href="' + base + r'(/c/[^"]+)"', html)
    pixel = re.search(base + r'(/o/[^"]+\.gif)', html).group(1)
    Delivery.objects.for_workspace(workspace).update(sent_at=clock.now() - dt.timedelta(minutes=5))
    sale = Link.objects.for_workspace(workspace).get(is_honeypot=False)

    move = residency.region_move_request(workspace=workspace, target="eu")
    residency.region_move_run(move_id=move.pk)
    workspace.refresh_from_db()
    assert workspace.region == "eu"
    assert not Link.objects.dangerously_all_workspaces("us").filter(pk=sale.pk).exists()

    redirects = [client.get(path, HTTP_USER_AGENT=HUMAN_UA) for path in clicks]
    assert [r["Location"] for r in redirects if r.status_code == 302] == [sale.url]
    assert client.get(pixel, HTTP_USER_AGENT=HUMAN_UA).status_code == 200
    drain(claim_idle_ms=0)

    kinds = set(
        Event.objects.using(workspace.database)
        .filter(delivery__campaign_id=campaign.pk)
        .values_list("kind", flat=True)
    )
    assert {"open", "click"} <= kinds
    stats = CampaignStats.objects.for_workspace(workspace).get(campaign_id=campaign.pk)
    assert stats.unique_clicks == 1 and stats.unique_opens == 1
