"""Data lifecycle: the trash (move, restore, purge), account deletion, legal holds, exports.

Every concrete :class:`~mailsoftly.core.tenancy.WorkspaceOwned` model is trashable without
registering anything (see :mod:`mailsoftly.lifecycle.registry`). Other apps plug in
through :mod:`mailsoftly.lifecycle.hooks` (revoke API keys, cancel sends, delete files).
"""
