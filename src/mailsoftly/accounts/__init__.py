"""User accounts: sign-up, sign-in, My Account, consent. Built on django-allauth."""
