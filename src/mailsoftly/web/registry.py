"""How capabilities plug into the app shell without editing it.

Each app may ship any of these modules, found by autodiscovery:

* ``<app>/navigation.py`` calling :func:`nav_item` — a link in the main navigation, or
  with ``section="settings"`` in the workspace "Settings" menu;
* ``<app>/dashboard.py`` calling :func:`dashboard_card` — figures on the dashboard;
* ``<app>/demo.py`` using :func:`mailsoftly.demo.step` — seeding for ``mailsoftly demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 100
    admin_only: bool = False
    match_prefix: str = ""
    section: str = ""


# Sections a nav item may go in besides the top bar. "settings" holds the pages about
# setting the workspace up and looking after it, so the bar keeps the daily work.
SECTIONS = ("settings",)


@dataclass(frozen=True)
class Card:
    label: str
    value: int | str
    url: str = ""


_NAV: list[NavItem] = []
_CARDS: list[tuple[int, Callable]] = []


def nav_item(
    label,
    url_name: str,
    *,
    order: int = 100,
    admin_only: bool = False,
    match_prefix: str = "",
    section: str = "",
) -> None:
    if section and section not in SECTIONS:
        raise ValueError(f"unknown navigation section {section!r}; known: {SECTIONS}")
    _NAV.append(NavItem(label, url_name, order, admin_only, match_prefix, section))


def dashboard_card(order: int = 100) -> Callable:
    """Decorator: ``func(workspace) -> list[Card]`` adds cards to the dashboard."""

    def register(func: Callable) -> Callable:
        _CARDS.append((order, func))
        return func

    return register


@cache
def _discover() -> None:
    autodiscover_modules("navigation")
    autodiscover_modules("dashboard")


def nav_items() -> list[NavItem]:
    _discover()
    return sorted(_NAV, key=lambda item: item.order)


def dashboard_cards(*, workspace) -> list[Card]:
    _discover()
    cards: list[Card] = []
    for _order, func in sorted(_CARDS, key=lambda entry: entry[0]):
        cards.extend(func(workspace))
    return cards
