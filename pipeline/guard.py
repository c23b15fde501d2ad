"""How a long run survives faults: stop signals, worker processes that cannot outlive
their parent, files that are whole on disk or absent, and clear words for a full disk.

- :class:`StopSignals` turns the first SIGINT or SIGTERM into a request (``stop.signum``)
  that the run checks between files; a second one raises :class:`StopNow` at once.
- :func:`guard_worker` makes a worker process end when the process that started it dies,
  however it dies: a watchdog thread polls the parent (a dead or zombie parent, or a new
  process under its pid, counts as dead), and on Linux the kernel's parent-death signal
  covers the worker's own parent (the forkserver). Its own children (Tesseract) go too.
- :func:`write_whole` writes a file under a temporary name, flushes it to the disk and
  renames it into place, so a reader finds the whole file or none.
- :func:`output_error` turns a full disk or an unwritable folder into one sentence.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# how often a worker looks at its parent; a dead parent's workers are gone within this
WATCH_EVERY = 0.25
PR_SET_PDEATHSIG = 1


class StopNow(BaseException):
    """A second stop signal: stop at once (BaseException, so no ``except Exception``
    on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """While active, the first SIGINT/SIGTERM sets :attr:`signum`; the second raises
    :class:`StopNow`. Only the main thread can own signals: elsewhere it does nothing."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum = 0

    def __bool__(self) -> bool:
        return bool(self.signum)

    def _handle(self, signum: int, frame: object) -> None:
        if self.signum:
            raise StopNow(signum)
        self.signum = signum

    @contextmanager
    def active(self) -> Iterator[StopSignals]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_identity(pid: int) -> str | None:
    """The start time of a process (``/proc/PID/stat`` field 22), which tells it apart
    from a later process under the same pid; None where there is no ``/proc``."""
    fields = _stat(pid)
    return fields[19] if fields else None


def alive(pid: int, identity: str | None) -> bool:
    """Whether the process ``pid`` that had ``identity`` still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if identity is None:
        return True
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X") and fields[19] == identity


def children(pid: int) -> list[int]:
    """The pids of a process's children (Linux), for a dying worker to take with it."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    return [int(e.name) for e in Path("/proc").glob("[0-9]*")
            if (fields := _stat(int(e.name))) and fields[1] == str(pid)]


def guard_worker(parent: int, identity: str | None) -> None:
    """Make this worker process end when ``parent`` ends (see the module docstring)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # the watchdog alone still covers it

    def watch() -> None:
        me = os.getpid()
        while alive(parent, identity):
            time.sleep(WATCH_EVERY)
        for child in children(me):
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        os._exit(1)

    threading.Thread(target=watch, name="jihua-parent-watch", daemon=True).start()


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds all of it or is absent."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames into it) to the disk, where the system allows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
UNWRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


class OutputError(Exception):
    """The output folder cannot take what the run writes (full disk, read-only)."""


def output_error(folder: Path, exc: OSError) -> OutputError | None:
    """One sentence for a write that failed because of the disk or the folder, or None
    for any other failure (a bug, which should keep its traceback)."""
    if exc.errno in FULL:
        return OutputError(f"{folder}: the disk is full ({os.strerror(exc.errno)}); free "
                           "some space and run the same command again to resume.")
    if exc.errno in UNWRITABLE:
        return OutputError(f"{folder}: the output folder cannot be written to "
                           f"({os.strerror(exc.errno)}); make it writable or choose "
                           "another with -o, and run the command again.")
    return None
