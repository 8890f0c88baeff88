from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mailsoftly.accounts"
    label = "accounts"
    verbose_name = "Accounts"
