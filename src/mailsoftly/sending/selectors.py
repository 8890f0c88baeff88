"""Reads of the sending app."""

from __future__ import annotations

from django.db.models import QuerySet

from mailsoftly.core.tenancy import access_object
from mailsoftly.sending.models import (
    BounceHook,
    CapturedMessage,
    DkimKey,
    SenderIdentity,
    SmtpServer,
)


def smtp_server_list(*, workspace) -> QuerySet[SmtpServer]:
    return SmtpServer.objects.for_workspace(workspace)


def smtp_server_default(*, workspace) -> SmtpServer | None:
    return SmtpServer.objects.for_workspace(workspace).order_by("-is_default", "id").first()


def access_smtp_server(*, workspace, id) -> SmtpServer:
    return access_object(SmtpServer, workspace=workspace, id=id)


def sender_identity_list(*, workspace) -> QuerySet[SenderIdentity]:
    return SenderIdentity.objects.for_workspace(workspace)


def access_sender_identity(*, workspace, id) -> SenderIdentity:
    return access_object(SenderIdentity, workspace=workspace, id=id)


def dkim_key_list(*, workspace, domain: str | None = None) -> QuerySet[DkimKey]:
    keys = DkimKey.objects.for_workspace(workspace)
    return keys.filter(domain=domain.lower()) if domain else keys


def access_dkim_key(*, workspace, id) -> DkimKey:
    return access_object(DkimKey, workspace=workspace, id=id)


def captured_message_list(*, workspace, campaign_id: int | None = None):
    messages = CapturedMessage.objects.for_workspace(workspace).defer("raw")
    return messages.filter(campaign_id=campaign_id) if campaign_id else messages


def access_captured_message(*, workspace, id) -> CapturedMessage:
    return access_object(CapturedMessage, workspace=workspace, id=id)


def bounce_hook_list(*, workspace) -> QuerySet[BounceHook]:
    return BounceHook.objects.for_workspace(workspace)


def access_bounce_hook(*, workspace, id) -> BounceHook:
    return access_object(BounceHook, workspace=workspace, id=id)
