"""A disabled account's API keys are revoked (they also stop by the live check at use)."""

from mailsoftly.api.services import api_keys_revoke_for_user
from mailsoftly.lifecycle.hooks import on_account_disabled


@on_account_disabled
def revoke_api_keys(*, user) -> None:
    api_keys_revoke_for_user(user=user)
