from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "mailsoftly.contacts"
    label = "contacts"
    verbose_name = "Contacts and audiences"

    def ready(self) -> None:
        # Engagement conditions join the segment language's allow-list.
        from mailsoftly.contacts import engagement  # noqa: F401
