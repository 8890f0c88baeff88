"""Demo seeding: a newsletter list of 50 contacts with a few custom fields (idempotent)."""

from __future__ import annotations

from mailsoftly.demo import step

FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Tim", "Barbara", "Ken", "Radia"]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Berners-Lee",
    "Liskov",
    "Thompson",
    "Perlman",
]
CITIES = ["Berlin", "Lisbon", "Austin", "Osaka", "Nairobi"]
DEMO_LIST = "Newsletter"


@step
def contacts_demo(*, workspace, user) -> None:
    from mailsoftly.contacts import services
    from mailsoftly.contacts.models import Contact, ContactList, CustomField

    fields = set(CustomField.objects.for_workspace(workspace).values_list("key", flat=True))
    if "city" not in fields:
        services.custom_field_create(
            workspace=workspace, key="city", label="City", field_type="text"
        )
    if "plan" not in fields:
        services.custom_field_create(
            workspace=workspace,
            key="plan",
            label="Plan",
            field_type="choice",
            choices=["free", "pro", "team"],
        )
    if "signup_date" not in fields:
        services.custom_field_create(
            workspace=workspace, key="signup_date", label="Signed up", field_type="date"
        )
    contact_list = ContactList.objects.for_workspace(workspace).filter(name=DEMO_LIST).first()
    if contact_list is None:
        contact_list = services.contact_list_create(
            workspace=workspace,
            name=DEMO_LIST,
            description="Monthly product news.",
            visibility="public",
            double_opt_in=True,
            consent_text="Yes, send me the monthly Mailsoftly demo newsletter. "
            "I can unsubscribe at any time.",
        )
    existing = set(Contact.objects.for_workspace(workspace).values_list("email_key", flat=True))
    for i in range(50):
        email = f"{FIRST[i % 10].lower()}.{LAST[i // 5 % 10].lower()}{i}@example.com"
        if email in existing:
            continue
        services.contact_create(
            workspace=workspace,
            email=email,
            first_name=FIRST[i % 10],
            last_name=LAST[i // 5 % 10],
            fields={
                "city": CITIES[i % 5],
                "plan": ["free", "pro", "team"][i % 3],
                "signup_date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            },
            list_ids=[contact_list.pk],
            tags=["demo"] + (["vip"] if i % 7 == 0 else []),
            consent={"consent_text": contact_list.consent_text, "location": "demo seed"},
            by_user=user,
        )
