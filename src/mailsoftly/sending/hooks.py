"""Inbound bounces over HTTP: ``POST /hooks/bounces/<source>/``.

Sources:

* ``ses``: Amazon SES notifications through an SNS HTTPS subscription (JSON). The
  subscription confirmation is followed by a task; bounce and complaint notifications
  are queued.
* ``dsn``: one raw message (an RFC 3464 DSN, an ARF complaint or an MTA's plain bounce),
  e.g. from a Postfix pipe or a mail-to-HTTP relay.

The caller names a bounce hook (:class:`~mailsoftly.sending.models.BounceHook`) by its
token: ``Authorization: Bearer <token>``, the password of HTTP Basic auth (what an SNS
URL such as ``https://x:<token>@host/hooks/bounces/ses/`` sends), or ``?token=``.
Nothing is parsed or written in the request: the body is checked for shape (400 when it
cannot be a bounce), queued for ``sending.bounce_process`` and answered 202. The task
runs the parser and ``bounce_process``, limited to the hook's workspace.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlsplit

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

MAX_BODY = 10 * 1024 * 1024
SOURCES = ("ses", "dsn")


def _problem(status: int, detail: str, **headers) -> JsonResponse:
    response = JsonResponse(
        {"type": "about:blank", "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _token(request: HttpRequest) -> str:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return request.GET.get("token", "")


def sns_url_allowed(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host.endswith(".amazonaws.com")) and not parts.username


def _ses(body: bytes) -> tuple[str, object]:
    """("confirm", url) | ("bounce", raw message bytes) | ("ignore", None); ValueError."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValueError(_("The body is not JSON.")) from None
    if not isinstance(envelope, dict):
        raise ValueError(_("The body is not an SNS message."))
    kind = envelope.get("Type")
    if kind == "SubscriptionConfirmation":
        url = envelope.get("SubscribeURL")
        if not isinstance(url, str) or not sns_url_allowed(url):
            raise ValueError(_("The SubscribeURL is not an Amazon SNS address."))
        return "confirm", url
    if kind == "UnsubscribeConfirmation":
        return "ignore", None
    if kind == "Notification":
        message, message_id = envelope.get("Message"), envelope.get("MessageId")
        if not isinstance(message, str) or not message.strip():
            raise ValueError(_("The notification has no Message."))
        if not isinstance(message_id, str) or not message_id.strip():
            raise ValueError(_("The notification has no MessageId."))
        # A plain-text mail around the SES JSON, with the SNS MessageId as its own
        # Message-ID: the parser reads it like SES notifications received by mail, and a
        # notification SNS delivers twice is applied once.
        safe_id = "".join(ch for ch in message_id if ch.isalnum() or ch in "-.")[:200]
        raw = (
            f"Message-ID: <{safe_id}@sns.amazonaws.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        ).encode() + message.encode("utf-8", "replace")
        return "bounce", raw
    raise ValueError(_("Unknown SNS message type."))


def _dsn(body: bytes) -> bytes:
    head = body[:8192].lstrip()
    first = head.split(b"\n", 1)[0]
    if not head or b":" not in first:
        raise ValueError(_("The body is not a mail message (it has no headers)."))
    return body


@csrf_exempt
def bounce_hook(request: HttpRequest, source: str) -> JsonResponse:
    from mailsoftly.sending.services import bounce_hook_authenticate
    from mailsoftly.sending.tasks import bounce_process_task, sns_subscription_confirm_task

    if request.method != "POST":
        return _problem(405, _("Use POST."), Allow="POST")
    if source not in SOURCES:
        return _problem(404, _("Unknown source; one of %(s)s.") % {"s": ", ".join(SOURCES)})
    hook = bounce_hook_authenticate(token=_token(request))
    if hook is None:
        return _problem(
            401, _("Send a bounce hook token."), WWW_Authenticate='Basic realm="bounces"'
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _problem(400, _("Invalid Content-Length."))
    if length > MAX_BODY:
        return _problem(413, _("The body is larger than 10 MB."))
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _problem(413, _("The body is larger than 10 MB."))
    if not body.strip():
        return _problem(400, _("The body is empty."))
    try:
        if source == "ses":
            action, value = _ses(body)
        else:
            action, value = "bounce", _dsn(body)
    except ValueError as exc:
        return _problem(400, str(exc))
    if action == "confirm":
        sns_subscription_confirm_task.delay(url=value)
    elif action == "bounce":
        bounce_process_task.delay(
            raw_b64=base64.b64encode(value).decode("ascii"), workspace_id=hook.workspace_id
        )
    return JsonResponse({"accepted": action != "ignore", "action": action}, status=202)
