import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, Delivery
from tests.campaigns.helpers import make_campaign, make_list, people


@pytest.fixture(autouse=True)
def _empty_stream():
    """With Redis, events wait in a stream until drained: each test starts with none."""
    from mailsoftly.tracking import hits, recorder, spool

    hits._LINKS.clear()  # link ids repeat across tests' rolled-back databases
    recorder._client.cache_clear()
    recorder._capped_append.cache_clear()
    client = recorder._client()
    if client is not None:
        spool.flush()  # what an earlier test spooled goes to the stream, deleted here
        client.delete(recorder.STREAM)
    yield
    getattr(recorder._client, "cache_clear", lambda: None)()
    hits._LINKS.clear()


@pytest.fixture
def sent_campaign(workspace, django_capture_on_commit_callbacks):
    """A campaign sent to three people through the local capture."""
    contact_list, _ = make_list(workspace, people(3))
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    return Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)


@pytest.fixture
def deliveries(sent_campaign):
    return list(
        Delivery.objects.for_workspace(sent_campaign.workspace).filter(campaign=sent_campaign)
    )
