"""The project's own starter templates are never blocked by the screen (policy P16)."""

from __future__ import annotations

import pytest

from mailsoftly.designs.compiler import source_compile
from mailsoftly.designs.rendering import CompiledDesign, sample_context
from mailsoftly.designs.starters import starter_list
from mailsoftly.screening.content import Content, Decision, screen_content

pytestmark = pytest.mark.policy("P16")


@pytest.mark.parametrize("starter", starter_list(), ids=lambda s: s.key)
def test_starter_template_passes(starter):
    compiled = source_compile(
        source_kind=starter.source_kind, source=starter.source, preheader=starter.preheader
    )
    email = CompiledDesign(subject=starter.subject, html=compiled.html, text=compiled.text).render(
        sample_context()
    )
    verdict = screen_content(
        Content(
            subject=email.subject,
            from_address="news@example.com",
            verified_domains=("example.com",),
            html=email.html,
            text=email.text,
        )
    )
    assert verdict.decision != Decision.BLOCK, verdict.to_dict()
    assert verdict.decision == Decision.PASS, verdict.to_dict()
