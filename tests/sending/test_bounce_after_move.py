"""A complaint for mail sent before a region move is still applied after it: the
report names our delivery and its old region, and (as ARF reports often do) hides the
recipient, so only our reference can find it."""

from __future__ import annotations

import pytest

from mailsoftly.contacts.models import Contact, ContactStatus
from mailsoftly.residency import services
from mailsoftly.sending.bounce_services import PROCESSED, bounce_process
from mailsoftly.sending.models import CapturedMessage
from tests.campaigns.test_unsubscribe_regions import _regional_media, sent  # noqa: F401
from tests.sending.test_bounces import arf


@pytest.mark.policy("P40")
def test_a_complaint_naming_the_old_region_finds_the_moved_delivery(workspace, sent):  # noqa: F811
    contacts, _path = sent
    original = (
        CapturedMessage.objects.for_workspace(workspace)
        .get(rcpt_to=contacts[0].email)
        .message()
        .as_bytes()
    )
    move = services.region_move_request(workspace=workspace, target="eu")
    services.region_move_run(move_id=move.pk)
    workspace.refresh_from_db()
    assert workspace.region == "eu"

    outcome = bounce_process(raw=arf(original=original, recipient="redacted@fbl.example"))

    assert outcome.action == PROCESSED and outcome.region == "eu"
    contact = Contact.objects.for_workspace(workspace).get(pk=contacts[0].pk)
    assert contact.status == ContactStatus.COMPLAINED
