"""Team tests invite and add members past the Free plan's single seat: they run on an
operator plan without limits. Seat limits are proven in tests/billing/test_enforcement.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _teams_unlimited_plan(request):
    if "workspace" in request.fixturenames:
        request.getfixturevalue("unlimited_plan")
