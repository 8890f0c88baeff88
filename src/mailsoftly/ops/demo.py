"""Demo seeding: the privacy policy as a published version in effect, accepted by the
demo account, so the public policy page, sign-up and My Account all show a real version."""

from __future__ import annotations

from mailsoftly.demo import step

DEMO_POLICY_VERSION = "demo-1"


def _policy_markdown() -> str:
    from mailsoftly.accounts.selectors import privacy_policy_blocks

    lines: list[str] = []
    for kind, text in privacy_policy_blocks():
        if kind == "heading":
            lines.append(f"## {text}")
        elif kind == "list":
            lines.extend(f"- {item}" for item in text)
        else:
            lines.append(str(text))
        lines.append("")
    return "\n".join(lines)


@step
def ops_demo(*, workspace, user) -> None:
    from mailsoftly.core import clock
    from mailsoftly.ops.models import PolicyKind, PolicyVersion
    from mailsoftly.ops.services import policy_accept

    version = PolicyVersion.objects.filter(kind=PolicyKind.PRIVACY).first()
    if version is None:
        # Seeded directly rather than through policy_version_publish, which (rightly)
        # refuses an effective date that is not in the future: the demo needs one in force.
        now = clock.now()
        version = PolicyVersion.objects.create(
            kind=PolicyKind.PRIVACY,
            version=DEMO_POLICY_VERSION,
            body=_policy_markdown(),
            effective_at=now,
            material=False,
            published_at=now,
            published_by=user,
        )
    policy_accept(user=user, version=version, ip_address=None, source="demo")
