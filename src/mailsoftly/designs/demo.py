"""Demo seeding: a finished newsletter design and a workspace template (idempotent)."""

from __future__ import annotations

from mailsoftly import demo
from mailsoftly.designs.models import Design, Template
from mailsoftly.designs.services import design_create_from_starter, template_create_from_design
from mailsoftly.designs.starters import starter_get

DEMO_DESIGN = "Spring newsletter"
DEMO_TEMPLATE = "House style"


@demo.step
def seed_designs(*, workspace, user) -> None:
    designs = Design.objects.for_workspace(workspace)
    design = designs.filter(name=DEMO_DESIGN).first()
    if design is None:
        design = design_create_from_starter(
            workspace=workspace, user=user, starter=starter_get("newsletter")
        )
        Design.objects.for_workspace(workspace).filter(pk=design.pk).update(name=DEMO_DESIGN)
        design.name = DEMO_DESIGN
    if not Template.objects.for_workspace(workspace).filter(name=DEMO_TEMPLATE).exists():
        template_create_from_design(
            design=design,
            user=user,
            name=DEMO_TEMPLATE,
            description="Our newsletter layout, ready to reuse.",
        )
