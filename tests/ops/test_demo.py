from django.urls import reverse

from mailsoftly.accounts.models import PolicyAcceptance
from mailsoftly.ops.demo import DEMO_POLICY_VERSION, ops_demo
from mailsoftly.ops.models import PolicyVersion


def test_demo_step_publishes_a_policy_in_effect_once_and_the_demo_user_accepted_it(
    client, workspace, user
):
    ops_demo(workspace=workspace, user=user)
    ops_demo(workspace=workspace, user=user)
    version = PolicyVersion.objects.get()
    assert (version.kind, version.version, version.material) == (
        "privacy",
        DEMO_POLICY_VERSION,
        False,
    )
    assert (
        PolicyAcceptance.objects.filter(user=user, policy_version=DEMO_POLICY_VERSION).count() == 1
    )
    page = client.get(reverse("ops:policy", args=["privacy"])).content.decode()
    assert DEMO_POLICY_VERSION in page
    assert "<h2>" in page and "<li>" in page  # the built-in text, as Markdown
    # Sign-up's policy link now leads to the published version.
    assert client.get(reverse("accounts:privacy_policy"))["Location"] == reverse(
        "ops:policy", args=["privacy"]
    )
