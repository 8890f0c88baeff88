"""Stored reasons are shown through gettext, parameters filled in afterwards."""

from mailsoftly.screening.content import Content, screen_content
from mailsoftly.screening.templatetags.screening import reason_message


def test_reason_message_fills_parameters_and_falls_back():
    verdict = screen_content(Content(html='<a href="https://bit.ly/x">x</a>', campaign=False))
    stored = verdict.to_dict()["reasons"][0]
    assert reason_message(stored) == stored["message"]
    assert "bit.ly" in reason_message(stored)
    assert reason_message({"message": "plain"}) == "plain"
    assert reason_message({"template": "%(missing)s", "params": {}, "message": "m"}) == "m"
