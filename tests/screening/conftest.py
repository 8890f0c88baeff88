"""Fixtures shared by the screening tests."""

from tests.screening.fake_spamd import down_url, spamd, with_spamd  # noqa: F401
