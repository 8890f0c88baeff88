"""Report PDFs: our print page rendered by headless Chromium.

The page is written to a private temporary directory and opened as a file, so Chromium needs
no session with the web server. It carries a Content-Security-Policy that forbids every
network fetch (styles and the chart script are inline), and it holds no user HTML: user
text (campaign names, link URLs) is autoescaped data. The path of the browser is the
``TRACKING_PDF_CHROMIUM`` setting (default ``/usr/bin/chromium``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DEFAULT_CHROMIUM = "/usr/bin/chromium"
TIMEOUT_SECONDS = 60


class PdfUnavailable(Exception):
    """No PDF could be made; the message says why, for the person who asked."""


def chromium_path() -> str:
    return getattr(settings, "TRACKING_PDF_CHROMIUM", "") or DEFAULT_CHROMIUM


def pdf_available() -> bool:
    path = chromium_path()
    return Path(path).is_file() and os.access(path, os.X_OK)


def html_to_pdf(html: str) -> bytes:
    """Print ``html`` (a self-contained page) to PDF, or raise :class:`PdfUnavailable`."""
    path = chromium_path()
    if not pdf_available():
        raise PdfUnavailable(
            _(
                "PDF downloads need Chromium, which is not installed at %(path)s. Ask your "
                "administrator to install it or set TRACKING_PDF_CHROMIUM, or use your "
                "browser's Print to save a PDF."
            )
            % {"path": path}
        )
    with tempfile.TemporaryDirectory(prefix="mailsoftly-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            path,
            "--headless",
            # Needed where the server runs as root or in a container without user
            # namespaces; the page is our own, inline-only and barred from the network.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            # Lets the chart script finish before printing.
            "--virtual-time-budget=5000",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            # The command is a fixed list: the configured browser path and our temp files.
            subprocess.run(  # noqa: S603
                command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.warning("chromium could not print the report: %s", exc)
            raise PdfUnavailable(_("The PDF could not be made in time. Try again.")) from exc
        data = out.read_bytes() if out.exists() else b""
    if not data.startswith(b"%PDF"):
        logger.warning("chromium printed no PDF (%d bytes)", len(data))
        raise PdfUnavailable(_("The PDF could not be made. Try again."))
    return data
