"""Mailsoftly: self-hosted email marketing."""

__version__ = "0.1.0"
