"""Outgoing webhooks: endpoints per workspace, signed deliveries (Standard Webhooks),
retries with backoff for about a day, one row per attempt, SSRF-safe connections.

Other apps call :func:`mailsoftly.webhooks.services.webhook_emit`.
"""
