"""Optional SpamAssassin backend: when ``spamc`` is on PATH and ``SCREENING_SPAMASSASSIN``
is on, its score is added to the verdict as one more reason, shown with its rule names."""

from __future__ import annotations

import shutil
import subprocess
from email.message import EmailMessage

from mailsoftly.screening.content.engine import gettext_noop
from mailsoftly.screening.content.verdict import Reason

TIMEOUT_SECONDS = 10


def available() -> bool:
    return shutil.which("spamc") is not None


def spamassassin_reasons(*, subject: str, from_address: str, html: str, text: str) -> list[Reason]:
    """One reason with SpamAssassin's score, or one that holds if spamd did not answer."""
    spamc = shutil.which("spamc")
    if spamc is None:
        return []
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())[:900]
    message["From"] = from_address or "unknown@invalid"
    message["To"] = "screen@invalid"
    message.set_content(text or " ")
    if html:
        message.add_alternative(html, subtype="html")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list, message on stdin
            [spamc, "-c", "-x"],
            input=message.as_bytes(),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        score = float(done.stdout.decode().strip().split("/")[0])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return [
            Reason(
                code="spamassassin_unavailable",
                template=gettext_noop("SpamAssassin did not answer, so a person will review it."),
                forces="hold",  # type: ignore[arg-type]
            )
        ]
    return [
        Reason(
            code="spamassassin",
            template=gettext_noop("SpamAssassin scored the email %(score)s."),
            params={"score": score},
            weight=max(score, 0.0),
        )
    ]
