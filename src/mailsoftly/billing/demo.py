"""Demo seeding: the default plans, and a billing profile for the demo workspace."""

from mailsoftly.demo import step


@step
def billing_demo(*, workspace, user) -> None:
    from mailsoftly.billing.models import BillingProfile, Plan
    from mailsoftly.billing.plans import plans_seed

    plans_seed(Plan)
    BillingProfile.objects.get_or_create(
        workspace=workspace,
        defaults={
            "name": "Demo Company",
            "email": user.email,
            "line1": "1 Example Street",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
    )
