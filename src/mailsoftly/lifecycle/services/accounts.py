"""Account deletion (policy P29): disabled at once, restorable by staff for 30 days, then purged.

* :func:`account_deletion_request` checks the password (and the TOTP code when 2FA is on),
  refuses while the account is the only Primary Admin of a workspace with other members,
  disables the account, ends its sessions, runs the ``on_account_disabled`` hooks (API
  keys, scheduled sends) and mails the deadline.
* :func:`account_deletion_restore` is the staff path back within the 30 days.
* :func:`account_purge` deletes the account, the workspaces it was the only member of
  (with all their regional content and files) and its memberships — unless a legal hold
  protects any of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.mail import platform_mail_enqueue
from mailsoftly.core.trash import RETENTION
from mailsoftly.lifecycle import audit, hooks, registry, selectors
from mailsoftly.lifecycle.models import AccountDeletion, HoldScope, LegalHold
from mailsoftly.lifecycle.services.trash import CHUNK, _delete_files, _file_names

logger = logging.getLogger(__name__)


@dataclass
class AccountDeletionError(Exception):
    """A refused deletion request; ``field`` names the form field the message belongs to."""

    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


def _check_second_factor(user, otp_code: str) -> None:
    from allauth.mfa.models import Authenticator

    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        return
    from allauth.mfa.totp.internal.auth import TOTP

    if not otp_code.strip() or not TOTP(totp).validate_code(otp_code.strip()):
        raise AccountDeletionError(
            _("Enter the current code from your authenticator app."), field="otp_code"
        )


def sole_primary_admin_blockers(*, user) -> list:
    """Workspaces where ``user`` is the only active Primary Admin and others are members."""
    from mailsoftly.teams.models import Membership, Role

    mine = Membership.objects.filter(
        user=user, role=Role.PRIMARY_ADMIN, disabled_at__isnull=True
    ).select_related("workspace")
    blockers = []
    for membership in mine:
        others = (
            Membership.objects.filter(
                workspace_id=membership.workspace_id, disabled_at__isnull=True
            )
            .exclude(user=user)
            .exists()
        )
        if others:
            blockers.append(membership.workspace)
    return blockers


def sessions_end(*, user_id: int) -> int:
    """Delete every stored session of the user.

    Disabling the account already makes Django reject its sessions (inactive users do not
    authenticate); this removes them from storage as well. The scan reads each live
    session once, which is fine for a rare, user-initiated action.
    """
    ended = 0
    stale: list[str] = []
    for session in Session.objects.filter(expire_date__gt=clock.now()).iterator(chunk_size=CHUNK):
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            stale.append(session.session_key)
    for start in range(0, len(stale), CHUNK):
        ended += Session.objects.filter(session_key__in=stale[start : start + CHUNK]).delete()[0]
    return ended


def account_deletion_request(
    *, user, password: str, otp_code: str = "", request=None
) -> AccountDeletion:
    """Disable ``user`` now and schedule its purge in 30 days."""
    if not user.check_password(password or ""):
        raise AccountDeletionError(_("The password is not correct."), field="password")
    _check_second_factor(user, otp_code or "")
    blockers = sole_primary_admin_blockers(user=user)
    if blockers:
        raise AccountDeletionError(
            _(
                "You are the only Primary Admin of %(names)s, which has other members. "
                "Transfer the Primary Admin role or delete the workspace first."
            )
            % {"names": ", ".join(w.name for w in blockers)}
        )
    from mailsoftly.accounts.models import User

    now = clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if selectors.account_deletion_pending(user=locked) is not None:
            raise AccountDeletionError(_("This account is already scheduled for deletion."))
        deletion = AccountDeletion.objects.create(
            user=locked,
            username=locked.get_username(),
            email=locked.email,
            requested_at=now,
            purge_after=now + RETENTION,
        )
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit.record(
            action="account.deletion_requested",
            actor=locked,
            request=request,
            target=locked,
            after={"purge_after": deletion.purge_after.isoformat()},
        )
        if locked.email:
            deadline = formats.date_format(deletion.purge_after, "DATE_FORMAT")
            platform_mail_enqueue(
                to=[locked.email],
                subject=_("Your Mailsoftly account is scheduled for deletion"),
                text=_(
                    "Your account %(username)s was disabled at your request and will be "
                    "deleted for good on %(deadline)s, together with the workspaces only you "
                    "belong to. If this was a mistake, contact support before that date to "
                    "restore it."
                )
                % {"username": locked.get_username(), "deadline": deadline},
            )
        transaction.on_commit(lambda: sessions_end(user_id=locked.pk))
        transaction.on_commit(lambda: hooks.run("account_disabled", user=locked))
    user.is_active = False
    return deletion


def account_deletion_restore(*, deletion: AccountDeletion, actor, request=None) -> AccountDeletion:
    """Staff: give the account back within the 30 days. Refuses clearly otherwise."""
    from mailsoftly.accounts.models import User

    with transaction.atomic():
        deletion = AccountDeletion.objects.select_for_update().get(pk=deletion.pk)
        if deletion.purged_at is not None or deletion.user_id is None:
            raise AccountDeletionError(_("This account was already deleted for good."))
        if deletion.restored_at is not None:
            raise AccountDeletionError(_("This account was already restored."))
        if not deletion.restorable_at(clock.now()):
            raise AccountDeletionError(
                _("The 30 days have passed; the account is about to be deleted for good.")
            )
        user = User.objects.select_for_update().get(pk=deletion.user_id)
        user.is_active = True
        user.save(update_fields=["is_active"])
        deletion.restored_at = clock.now()
        deletion.restored_by = actor
        deletion.save(update_fields=["restored_at", "restored_by"])
        audit.record(action="account.deletion_restored", actor=actor, request=request, target=user)
        transaction.on_commit(lambda: hooks.run("account_restored", user=user))
    return deletion


def workspace_content_purge(*, workspace, batch_size: int = CHUNK) -> int:
    """Delete every regional row (live or trashed) and file of ``workspace``, in batches."""
    hooks.run("workspace_purge", strict=True, workspace=workspace)
    database = workspace.database
    deleted = 0
    for model in registry.trashable_models():
        while True:
            ids = list(
                model.all_rows.using(database)
                .filter(workspace_id=workspace.pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic(using=database):
                rows = model.all_rows.using(database).filter(pk__in=ids)
                files = _file_names(model, rows)
                for hook in registry.purge_hooks_for(model):
                    hook(queryset=rows, database=database)
                deleted += rows.delete()[0]
                transaction.on_commit(lambda files=files: _delete_files(files), using=database)
    return deleted


def account_purge(*, deletion: AccountDeletion) -> bool:
    """Delete the account for good. Returns False (and deletes nothing) under a legal hold."""
    from mailsoftly.teams.models import Membership, Workspace

    if not deletion.is_pending or deletion.user_id is None:
        return False
    user_id = deletion.user_id
    held_workspaces, _objects = selectors.held_ids()
    sole = selectors.sole_workspace_ids(user_id=user_id)
    if selectors.user_is_held(user_id=user_id) or held_workspaces & set(sole):
        logger.info("account %s is under legal hold; purge postponed", user_id)
        return False
    user = deletion.user
    # Regional content first: if this crashes midway the directory rows still say what
    # is left to purge, and the next run resumes.
    for workspace in Workspace.objects.filter(pk__in=sole):
        workspace_content_purge(workspace=workspace)
    hooks.run("account_purge", strict=True, user=user)
    with transaction.atomic():
        Workspace.objects.filter(pk__in=sole).delete()
        Membership.objects.filter(user_id=user_id).delete()
        deletion.purged_at = clock.now()
        deletion.save(update_fields=["purged_at"])
        audit.record(
            action="account.purged",
            target=("accounts.user", user_id, deletion.username),
            after={"workspaces": sole},
        )
        user.delete()
    return True


def account_deletion_purge_due(*, limit: int = 50) -> int:
    """Purge accounts whose 30 days have passed. Returns how many were purged."""
    due = AccountDeletion.objects.filter(
        restored_at__isnull=True,
        purged_at__isnull=True,
        user__isnull=False,
        purge_after__lte=clock.now(),
    )
    # Held accounts wait; leaving them out keeps them from filling every batch.
    due = due.exclude(
        user_id__in=LegalHold.objects.active()
        .filter(scope=HoldScope.ACCOUNT, user_id__isnull=False)
        .values("user_id")
    ).order_by("purge_after")[:limit]
    return sum(1 for deletion in list(due) if account_purge(deletion=deletion))
