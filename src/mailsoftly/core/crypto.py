"""Secrets at rest: encrypted with Fernet under FIELD_ENCRYPTION_KEYS (first key encrypts,
all keys decrypt, so keys can be rotated by prepending a new one)."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.db import models

from mailsoftly.config import env


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in env.get().field_encryption_keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "cannot decrypt: the key that encrypted this value is not configured"
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; reads give the plaintext back."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)
