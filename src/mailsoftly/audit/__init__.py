"""The audit log: an append-only record of who changed what in a workspace, from where.

Services write a row with :func:`mailsoftly.audit.services.audit_record` for every
membership, role, invitation, domain, billing-contact and settings change, for refused
attempts to escalate privileges, and for changes to the workspace's content (trash,
restore, purge, exports, publishing, screening decisions). Content entries are kept in
the workspace's region database, the rest in the directory (see :mod:`.models`). Rows are never updated; the only deletion path is the
retention purge (:func:`mailsoftly.audit.services.audit_purge_expired`).
"""
