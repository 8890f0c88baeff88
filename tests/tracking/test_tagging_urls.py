"""Tracking URLs built by concatenation are byte-identical to what reverse() gives."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from mailsoftly.tracking import tokens
from mailsoftly.tracking.tagging import Tracker

IDS = [(1, 1), (35, 36), (10**12 + 7, 2 * 10**12 + 1), (2**63 - 1, 2**40)]


class ReversingTracker(Tracker):
    """The tagging as it was before: one reverse() per URL."""

    def click_url(self, delivery_id, link_id):
        token = tokens.click_token(region=self.region, delivery_id=delivery_id, link_id=link_id)
        return f"{self.base_url}{reverse('tracking:click', args=[token])}"

    def open_url(self, delivery_id):
        token = tokens.open_token(region=self.region, delivery_id=delivery_id)
        return f"{self.base_url}{reverse('tracking:open', args=[token])}"


@pytest.fixture
def campaign(workspace):
    from tests.campaigns.helpers import make_campaign, make_list, people

    contact_list, _ = make_list(workspace, people(1))
    return make_campaign(workspace, contact_list)


@pytest.mark.parametrize(("delivery_id", "link_id"), IDS)
def test_each_url_equals_the_reversed_one(campaign, settings, delivery_id, link_id):
    fast = Tracker(campaign=campaign, enabled=True)
    slow = ReversingTracker(campaign=campaign, enabled=True)
    assert fast.click_url(delivery_id, link_id) == slow.click_url(delivery_id, link_id)
    assert fast.open_url(delivery_id) == slow.open_url(delivery_id)
    assert fast.open_url(delivery_id).startswith(f"{settings.BASE_URL.rstrip('/')}/o/")
    assert fast.open_url(delivery_id).endswith(".gif")


def test_a_whole_message_is_tagged_byte_identically(campaign, settings):
    html = "<html><body>" + "".join(
        f'<a href="https://shop.example/p/{i}?a=1&amp;b={i}">Item {i}</a>' for i in range(10)
    )
    html += f'<a href="{settings.BASE_URL}/u/x/">Unsubscribe</a></body></html>'
    text = " ".join(f"https://shop.example/p/{i}?a=1&b={i}." for i in range(10))
    fast = Tracker(campaign=campaign, enabled=True)
    slow = ReversingTracker(campaign=campaign, enabled=True)
    for delivery_id in (1, 4242, 10**12 + 3):
        tagged = fast.tag_html(html, delivery_id)
        assert tagged == slow.tag_html(html, delivery_id)
        assert tagged.count("/c/") == 11 and tagged.count("/o/") == 1
        assert fast.tag_text(text, delivery_id) == slow.tag_text(text, delivery_id)


def test_a_script_prefix_is_kept(campaign):
    set_script_prefix("/mail/")
    try:
        fast = Tracker(campaign=campaign, enabled=True)
        slow = ReversingTracker(campaign=campaign, enabled=True)
        assert fast.click_url(9, 3) == slow.click_url(9, 3)
        assert "/mail/c/" in fast.click_url(9, 3)
        assert fast.open_url(9) == slow.open_url(9)
    finally:
        clear_script_prefix()
