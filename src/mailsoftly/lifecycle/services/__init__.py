"""Writes of the lifecycle app, one module per flow; import them from here."""

from mailsoftly.lifecycle.services.accounts import (
    AccountDeletionError,
    account_deletion_purge_due,
    account_deletion_request,
    account_deletion_restore,
    account_purge,
    sessions_end,
    workspace_content_purge,
)
from mailsoftly.lifecycle.services.exports import (
    ExportError,
    export_download_record,
    export_link_check,
    export_link_token,
    export_request,
    export_run,
)
from mailsoftly.lifecycle.services.holds import (
    LegalHoldError,
    legal_hold_check,
    legal_hold_export,
    legal_hold_place,
    legal_hold_release,
)
from mailsoftly.lifecycle.services.imports import WorkspaceImportError, workspace_import
from mailsoftly.lifecycle.services.personal import (
    data_request_close,
    data_request_record,
    data_request_remind_due,
    personal_data_bundle,
    personal_data_collect,
)
from mailsoftly.lifecycle.services.trash import (
    PURGE_BATCH,
    PurgeResult,
    TrashError,
    trash_move,
    trash_purge_due,
    trash_restore,
)
from mailsoftly.lifecycle.services.workspaces import (
    workspace_purge_due,
    workspace_restore,
    workspace_trash,
)

__all__ = [
    "PURGE_BATCH",
    "AccountDeletionError",
    "ExportError",
    "LegalHoldError",
    "PurgeResult",
    "TrashError",
    "WorkspaceImportError",
    "account_deletion_purge_due",
    "account_deletion_request",
    "account_deletion_restore",
    "account_purge",
    "data_request_close",
    "data_request_record",
    "data_request_remind_due",
    "export_download_record",
    "export_link_check",
    "export_link_token",
    "export_request",
    "export_run",
    "legal_hold_check",
    "legal_hold_export",
    "legal_hold_place",
    "legal_hold_release",
    "personal_data_bundle",
    "personal_data_collect",
    "sessions_end",
    "trash_move",
    "trash_purge_due",
    "trash_restore",
    "workspace_content_purge",
    "workspace_import",
    "workspace_purge_due",
    "workspace_restore",
    "workspace_trash",
]
