from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mailsoftly.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.mfa import signals as mfa_signals

        from mailsoftly.accounts import hooks

        # allauth's documented extension point: turning on 2FA ends other sessions.
        mfa_signals.authenticator_added.connect(
            hooks.end_other_sessions_on_2fa, dispatch_uid="accounts_2fa_sessions"
        )
