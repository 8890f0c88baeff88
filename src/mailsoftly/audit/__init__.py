"""The audit log: an append-only record of who changed what in a workspace, from where.

Services write a row with :func:`mailsoftly.audit.services.audit_record` for every
membership, role, invitation, domain, billing-contact and settings change, and for refused
attempts to escalate privileges. Rows are never updated; the only deletion path is the
retention purge (:func:`mailsoftly.audit.services.audit_purge_expired`).
"""
