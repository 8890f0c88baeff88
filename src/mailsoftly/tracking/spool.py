"""A local append-only spool between the open/click endpoints and the Redis stream.

A request that must record an open or a click writes one line to its process's spool
file: one ``write()`` system call, a few microseconds, instead of a Redis round trip.
Once ``write()`` has returned the line is in the kernel's page cache, so killing the
process cannot lose it. A thread of the same process ships new lines to the stream in
batches: one script call per batch, which applies the per-(delivery, address) open cap
and appends each kept event, exactly as a single request used to. The drain is unchanged.

A file whose process died is shipped by any other process of the installation that
looks: every web process at start and every few seconds, and the drain task. Each live
process holds an exclusive ``flock`` on its own file, so an unlocked file is an orphan.
A line's event key is its file's id and byte offset: a batch shipped twice (a process
killed between shipping and moving on) is stored once by the drain.

Only used with Redis. Without it (the embedded default) events are written directly.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

SHIP_EVERY_S = 0.05
ORPHAN_SCAN_EVERY_S = 5.0
ROTATE_BYTES = 1 << 20
BATCH_BYTES = 256 << 10
SUFFIX = ".spool"
OFFSET_SUFFIX = ".off"

# KEYS[1]: the stream. ARGV: cap, window, lines of "<cap key or nothing>\t<event JSON>".
# Per event exactly what one request did before: count the (delivery, address) pair and
# append only while within the cap. The lines go as one argument: the web process does
# no per-event work to ship them.
_SHIP = """
local cap = tonumber(ARGV[1])
local kept = 0
for line in string.gmatch(ARGV[3], "[^\\n]+") do
  local tab = string.find(line, "\\t", 1, true)
  if tab then
    local ok = true
    if tab > 1 then
      local key = string.sub(line, 1, tab - 1)
      local n = redis.call('INCR', key)
      if n == 1 then redis.call('EXPIRE', key, ARGV[2]) end
      ok = n <= cap
    end
    if ok then
      redis.call('XADD', KEYS[1], '*', 'e', string.sub(line, tab + 1))
      kept = kept + 1
    end
  end
end
return kept
"""


def directory() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "tracking-spool"


def _chunks(data: bytes):
    """``data`` (whole lines) in pieces of about BATCH_BYTES, cut after a newline."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + BATCH_BYTES) + 1 or len(data)
        yield data[start:end]
        start = end


def _ship(data: bytes) -> None:
    """Append the spooled lines' events to the stream (the open cap applied), or, with the
    stream unreachable, ingest them directly as a single request would. Raises only if both
    fail, so the caller keeps the lines for the next attempt."""
    import redis

    from mailsoftly.tracking import recorder
    from mailsoftly.tracking.hits import OPENS_PER_DELIVERY_AND_IP_PER_HOUR

    client = recorder._client()
    for chunk in _chunks(data):
        try:
            if client is None:
                raise ConnectionError("no Redis configured")
            _script(client)(
                keys=[recorder.STREAM], args=[OPENS_PER_DELIVERY_AND_IP_PER_HOUR, 3600, chunk]
            )
        except (redis.RedisError, ConnectionError):
            logger.warning("tracking stream unavailable; writing spooled events directly")
            from mailsoftly.tracking.services import events_ingest

            events_ingest(events=_events(chunk))


def _events(data: bytes) -> list[dict]:
    events = []
    for raw in data.splitlines():
        try:
            events.append(json.loads(raw.partition(b"\t")[2]))
        except ValueError:
            logger.warning("unreadable tracking spool line dropped")
    return events


@functools.cache
def _script(client):
    # Sent once, then called by its digest (EVALSHA).
    return client.register_script(_SHIP)


def _read_lines(fd: int, start: int) -> tuple[bytes, int]:
    """The complete lines from ``start`` on, and the offset after the last of them."""
    chunks = []
    position = start
    while True:
        chunk = os.pread(fd, 1 << 20, position)
        if not chunk:
            break
        chunks.append(chunk)
        position += len(chunk)
    data = b"".join(chunks)
    end = data.rfind(b"\n") + 1
    return data[:end], start + end


def _ship_file(fd: int, start: int, offset_fd: int | None = None) -> int:
    """Ship a file's lines from ``start``; returns the offset shipped to, also written to
    the offset file (so whoever ships the file after a kill resends at most one batch)."""
    data, end = _read_lines(fd, start)
    if data:
        _ship(data)
        if offset_fd is not None:
            os.pwrite(offset_fd, b"%20d" % end, 0)
    return end


def _shipped_offset(path: Path) -> int:
    try:
        return int(path.with_suffix(OFFSET_SUFFIX).read_bytes() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _remove(path: Path) -> None:
    path.unlink()
    path.with_suffix(OFFSET_SUFFIX).unlink(missing_ok=True)


def ship_orphans(skip: Path | None = None) -> int:
    """Ship and remove the spool files of processes that died. Returns how many."""
    try:
        found = list(directory().iterdir())
    except FileNotFoundError:
        return 0
    for stray in found:  # left by a process killed between removing a file and its offset
        if stray.suffix == OFFSET_SUFFIX and not stray.with_suffix(SUFFIX).exists():
            stray.unlink(missing_ok=True)
    paths = [p for p in found if p.suffix == SUFFIX and p != skip]
    shipped = 0
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive, or someone else is shipping it
            try:
                if path.stat().st_ino != os.fstat(fd).st_ino:
                    continue
            except FileNotFoundError:
                continue  # shipped and removed by someone else meanwhile
            _ship_file(fd, _shipped_offset(path))
            _remove(path)
            shipped += 1
        except Exception:
            logger.exception("tracking spool %s not shipped; will retry", path.name)
        finally:
            os.close(fd)
    return shipped


def _new_file() -> tuple[int, int, Path]:
    """A new spool file, locked before it takes its name, so no one takes it for an
    orphan, and its offset file: (fd, offset fd, path)."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    temporary = folder / f"{name}.new"
    fd = os.open(temporary, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    path = folder / f"{name}{SUFFIX}"
    temporary.rename(path)
    offset_fd = os.open(path.with_suffix(OFFSET_SUFFIX), os.O_WRONLY | os.O_CREAT, 0o600)
    return fd, offset_fd, path


class Spool:
    """This process's spool file and the thread that ships it."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """In a forked child: start afresh on first use. The parent's file stays locked
        by the parent alone, so it is recovered if the parent dies."""
        if self._pid is not None:
            for fd in (self._fd, self._offset_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._pid = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        # First use in this process (a forked server worker starts with none of its own).
        self._lock = threading.Lock()  # guards the current file: append and rotate
        self._shipping = threading.Lock()  # one shipper at a time: the thread or flush()
        self._wake = threading.Event()
        self._session = uuid.uuid4().hex
        self._seq = itertools.count()
        self._fd, self._offset_fd, self._path = _new_file()
        self._shipped = 0
        self._pid = os.getpid()
        threading.Thread(target=self._run, name="tracking-spool", daemon=True).start()

    def append(self, event: dict, cap_key: str) -> None:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._start()
        # Unique per process and line; the drain stores an event shipped twice once.
        event["key"] = f"{self._session}.{next(self._seq):x}"
        data = f"{cap_key}\t{json.dumps(event)}\n".encode()
        with self._lock:
            os.write(self._fd, data)
        if not self._wake.is_set():
            self._wake.set()

    def _run(self) -> None:
        last_scan = 0.0
        while True:
            self._wake.wait(1.0)
            time.sleep(SHIP_EVERY_S)  # let a batch gather
            self._wake.clear()
            try:
                self.flush()
                if time.monotonic() - last_scan > ORPHAN_SCAN_EVERY_S:
                    last_scan = time.monotonic()
                    ship_orphans(skip=self._path)
            except Exception:
                logger.exception("tracking spool not shipped; will retry")
                time.sleep(1.0)

    def flush(self) -> None:
        """Ship what this process has spooled so far."""
        if self._pid != os.getpid():
            return
        with self._shipping:
            self._shipped = _ship_file(self._fd, self._shipped, self._offset_fd)
            if self._shipped < ROTATE_BYTES:
                return
            new = _new_file()  # made before taking the lock: writers wait only for a swap
            with self._lock:  # writers now go to the new file; nothing more comes to this one
                old_fd, old_offset_fd, old_path, shipped = (
                    self._fd,
                    self._offset_fd,
                    self._path,
                    self._shipped,
                )
                self._fd, self._offset_fd, self._path = new
                self._shipped = 0
            try:
                _ship_file(old_fd, shipped, old_offset_fd)
                _remove(old_path)
            finally:
                # Unlocked: if its tail was not shipped, the orphan scan ships it.
                os.close(old_offset_fd)
                os.close(old_fd)

    @property
    def path(self) -> Path | None:
        return self._path if self._pid == os.getpid() else None


_spool = Spool()


def append(event: dict, *, cap_key: str = "") -> None:
    """Spool one event (without its key: the spool gives it one). Raises OSError if the
    spool cannot be written; the caller then records the event another way."""
    _spool.append(event, cap_key)


def flush() -> None:
    """Ship this process's spooled events and any dead process's, now."""
    _spool.flush()
    ship_orphans(skip=_spool.path)
