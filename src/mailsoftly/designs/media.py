"""The media library: image uploads that are safe to store and to serve.

Every upload is opened with Pillow and must be a JPEG, PNG, GIF or WebP within the size
and dimension limits; anything else (SVG, HTML, a renamed executable, a decompression
bomb) is refused with a message. Accepted images are re-encoded, which drops EXIF, GPS,
comments and anything hidden after the image data. Files go through Django's storage
API into the workspace's region, and are served with the content type found here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from mailsoftly.designs.models import MediaFile

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SIDE = 5000
MAX_PIXELS = 25_000_000
MAX_FRAMES = 300
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}


class MediaError(ValueError):
    pass


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _read(upload) -> bytes:
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise MediaError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1024 / 1024, 1), "limit": MAX_UPLOAD_BYTES // 2**20}
        )
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise MediaError(_("The file is larger than %(limit)s MB.") % {"limit": 5})
    if not data:
        raise MediaError(_("The file is empty."))
    return data


def media_image_clean(upload) -> CleanImage:
    """Validate an uploaded image and re-encode it without metadata, or raise MediaError."""
    data = _read(upload)
    not_an_image = _("This file is not a JPEG, PNG, GIF or WebP image.")
    try:
        with Image.open(BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in FORMATS:
                raise MediaError(not_an_image)
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise MediaError(
                    _("The image is %(w)s x %(h)s pixels; the limit is %(max)s pixels a side.")
                    % {"w": width, "h": height, "max": MAX_SIDE}
                )
            probe.verify()
        image = Image.open(BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > MAX_FRAMES:
            raise MediaError(_("The animation has too many frames."))
        out = BytesIO()
        if kind == "GIF":
            image.info.pop("comment", None)
            image.save(out, "GIF", save_all=frames > 1, optimize=False)
        elif kind == "PNG":
            image = ImageOps.exif_transpose(image)
            image.save(out, "PNG", optimize=True)
        elif kind == "WEBP":
            image = ImageOps.exif_transpose(image)
            image.save(out, "WEBP", quality=90)
        else:
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L", "CMYK"):
                image = image.convert("RGB")
            image.save(out, "JPEG", quality=90, optimize=True)
        width, height = image.size
    except MediaError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaError(not_an_image) from exc
    except Image.DecompressionBombError as exc:
        raise MediaError(_("The image is too large to process.")) from exc
    content_type, extension = FORMATS[kind]
    return CleanImage(out.getvalue(), content_type, extension, width, height)


def media_upload(*, workspace, user, upload, name: str = "") -> MediaFile:
    """Store a validated image in the workspace's region. Raises :class:`MediaError`."""
    clean = media_image_clean(upload)
    key = secrets.token_urlsafe(16)
    label = (name or getattr(upload, "name", "") or _("Image")).strip()[:200]
    media = MediaFile(
        workspace=workspace,
        key=key,
        name=label,
        content_type=clean.content_type,
        width=clean.width,
        height=clean.height,
        size=len(clean.data),
        uploaded_by=user,
    )
    media.file.save(f"{key}.{clean.extension}", ContentFile(clean.data), save=False)
    try:
        with transaction.atomic(using=workspace.database):
            media.save(using=workspace.database)
    except Exception:
        # No row, no file: never leave an orphan behind a failed write.
        media.file.delete(save=False)
        raise
    return media


def media_trash(*, media: MediaFile, user) -> None:
    """Trash an image: it stops being served at once; the purge removes the file later."""
    from mailsoftly.lifecycle.services.trash import trash_move

    trash_move(obj_or_queryset=media, actor=user)
