"""Abuse screening (policy P16): every campaign and test send passes a content screen.

``content/`` holds the pure content-check engine (no database). The Django side
(results cached by content hash, account risk, the operator review queue) lives in the
app's ``models.py``, ``services.py`` and ``views.py``.
"""
