from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "mailsoftly.contacts"
    label = "contacts"
    verbose_name = "Contacts and audiences"
