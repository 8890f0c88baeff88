"""Log formatting: one JSON object per line in production, readable text in a terminal;
and routing of the lines about a workspace in another region to that region's log."""

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from pathlib import Path

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_extra(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _extra(record).items())
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        if extra:
            line = f"{line} {extra}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


# --- Region logs (policy P40) ---------------------------------------------------------
#
# A line about an EU workspace (its request path, a task's campaign or delivery id, an
# error's traceback) is that workspace's data: it must not land in the directory region's
# log stream. Each record is tagged with the region it is about; the process's own stream
# keeps the directory region's records and those about no region, and every other region's
# records are appended to that region's log file (``<REGION_LOG_ROOT>/<region>/logs/``),
# kept on that region's storage like its media.

_log_region: ContextVar[str | None] = ContextVar("mailsoftly_log_region", default=None)


@contextmanager
def log_region(region: str | None) -> Iterator[None]:
    """Tag the records logged inside the block as being about ``region`` (None: no change)."""
    if not region:
        yield
        return
    token = _log_region.set(str(region))
    try:
        yield
    finally:
        _log_region.reset(token)


def record_region(record: logging.LogRecord) -> str | None:
    """The region a record is about: its ``region`` extra, else the region the code was
    working in when it logged (a request's workspace, a regional task's scope, a failed
    regional task's, see ``RegionalTask.on_failure``)."""
    from mailsoftly.core.regions import current_region

    region = getattr(record, "region", None) or _log_region.get() or current_region()
    return str(region) if region else None


def _home(region: str | None) -> bool:
    from mailsoftly.core.regions import directory_region

    return region is None or region == directory_region()


class HomeRegionFilter(logging.Filter):
    """For the process's own stream: passes records of the directory's region and of no
    region; another region's records go to that region's file (:class:`RegionLogHandler`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _home(record_region(record))


class RegionLogHandler(logging.Handler):
    """Appends each record about a region other than the directory's to that region's log
    file, ``<MAILSOFTLY_REGION_LOG_ROOT>/<region>/logs/mailsoftly.log`` (a watched file, so
    logrotate can move it)."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._files: dict[str, logging.Handler] = {}

    def _file(self, region: str) -> logging.Handler:
        from django.conf import settings

        root = Path(settings.MAILSOFTLY_REGION_LOG_ROOT)
        path = root / region / "logs" / "mailsoftly.log"
        handler = self._files.get(region)
        if handler is None or Path(handler.baseFilename) != path:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = WatchedFileHandler(path, encoding="utf-8")
            handler.setFormatter(self.formatter or JsonFormatter())
            self._files[region] = handler
        return handler

    def emit(self, record: logging.LogRecord) -> None:
        region = record_region(record)
        if _home(region):
            return
        try:
            handler = self._file(region)
        except OSError as exc:
            # Say so on stderr without the record itself (it is the other region's data).
            sys.stderr.write(f"mailsoftly: the {region} region log is not writable: {exc}\n")
            return
        handler.emit(record)

    def close(self) -> None:
        for handler in self._files.values():
            handler.close()
        self._files.clear()
        super().close()
