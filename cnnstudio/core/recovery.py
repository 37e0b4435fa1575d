"""Recovery files: autosaves of open projects, kept apart from the user's files until a clean close.

Each running session owns one slot in ``<data dir>/recovery``: ``<uuid>.cnnstudio``, a normal
project file with a ``recovery`` header (the user's file it belongs to, the time, the pid), and
``<uuid>.lock``, which the session holds an OS lock on while it lives. The OS drops the lock when
the process dies however it dies (``kill -9`` too), so a slot whose lock can be taken belongs to a
crashed session and is offered for recovery; a pid alone could have been reused by another program.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from cnnstudio.core.errors import CnnStudioError, ProjectFileError
from cnnstudio.core.fileio import atomic_write_text
from cnnstudio.core.project import EXTENSION, MAX_FILE_BYTES, Project, parse_json, pretty_json

RECOVERY_DIR = "recovery"
HEADER = "recovery"  # the top-level key; a recovery file opened as a project keeps working
LOCK_SUFFIX = ".lock"
CORRUPT_SUFFIX = ".corrupt"

if sys.platform == "win32":
    import msvcrt

    def _try_lock(f: IO[bytes]) -> bool:
        try:
            f.seek(0)  # both sides lock the same first byte
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(f: IO[bytes]) -> bool:
        # flock, not lockf: flock locks belong to the open file, so a second open in this very
        # process sees the lock too (two windows of one process keep their own slots).
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


def recovery_dir(data_dir: Path) -> Path:
    return data_dir / RECOVERY_DIR


@dataclass(eq=False)
class RecoveredProject:
    """A crashed session's autosave: the project as it was, and where it came from."""

    path: Path  # the recovery file
    project: Project  # ``path`` is the user's file it belongs to (None: never saved)
    saved_at: datetime  # aware, UTC

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def file(self) -> Path | None:
        return self.project.path

    def discard(self) -> None:
        """Delete the recovery file (and the dead session's lock file); one that cannot be
        deleted is offered again at the next start, which loses nothing."""
        for path in (self.path, self.path.with_suffix(LOCK_SUFFIX)):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


@dataclass(frozen=True)
class CorruptRecovery:
    """A recovery file that could not be read, renamed to ``set_aside`` so it is not offered again."""

    set_aside: Path
    reason: str


class RecoverySlot:
    """This session's recovery file in ``folder``; it writes nowhere else.

    Nothing touches the disk before the first ``write``: a session that never edits leaves no
    trace. ``close`` (a clean exit) removes the file and the lock.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / f"{uuid.uuid4().hex}{EXTENSION}"
        self._lock: IO[bytes] | None = None

    def write(self, project: Project) -> None:
        """Atomically write ``project`` with its header. Raises OSError if the folder is unusable."""
        self._hold_lock()
        doc = project.to_dict()
        doc[HEADER] = {
            "file": str(project.path.resolve()) if project.path is not None else None,
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "pid": os.getpid(),
        }
        atomic_write_text(self.path, pretty_json(doc) + "\n")

    def remove(self) -> None:
        """Delete the recovery file (nothing left to recover: saved, discarded or unchanged)."""
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        self.remove()
        if self._lock is not None:
            self._lock.close()  # closing drops the lock
            self._lock = None
            self.path.with_suffix(LOCK_SUFFIX).unlink(missing_ok=True)

    def _hold_lock(self) -> None:
        if self._lock is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = open(self.path.with_suffix(LOCK_SUFFIX), "a+b")  # noqa: SIM115 - held for the session
        if not _try_lock(lock):
            lock.close()
            raise OSError(f"{lock.name} is locked by another process")
        self._lock = lock


def _owner_alive(recovery_file: Path) -> bool:
    """Whether a running session still holds the lock of ``recovery_file``'s slot."""
    try:
        with open(recovery_file.with_suffix(LOCK_SUFFIX), "rb") as lock:
            return not _try_lock(lock)  # taken: the owner is gone; closing releases it again
    except FileNotFoundError:
        return False  # the lock was removed: its session wrote no lock or ended
    except OSError:
        return True  # unreadable lock: leave the slot alone rather than steal it


def read_recovery(path: Path) -> RecoveredProject:
    """Read a recovery file through the project loader; faults raise ProjectFileError."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProjectFileError(file, "", f"file is {size / 1e6:.0f} MB; at most 64 MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectFileError(file, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectFileError(file, "", f"not UTF-8 text (byte {exc.start})") from None
    doc = parse_json(text, file)
    header = doc.pop(HEADER, None) if isinstance(doc, dict) else None
    if not isinstance(header, dict):
        raise ProjectFileError(file, HEADER, "the recovery header is missing")
    original = _header_field(header, "file", (str, type(None)), file)
    saved_at = _header_field(header, "saved_at", str, file)
    try:
        when = datetime.fromisoformat(saved_at)
    except ValueError:
        raise ProjectFileError(file, f"{HEADER}.saved_at", "not an ISO 8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    project = Project.from_dict(doc, file)
    project.path = Path(original) if original is not None else None
    return RecoveredProject(path, project, when)


def _header_field(
    header: dict[str, Any], key: str, kind: type | tuple[type, ...], file: str
) -> Any:
    value = header.get(key)
    if not isinstance(value, kind):
        raise ProjectFileError(file, f"{HEADER}.{key}", "missing or of the wrong type")
    return value


def scan(folder: Path) -> tuple[list[RecoveredProject], list[CorruptRecovery]]:
    """The recoverable projects in ``folder`` (oldest first), and the corrupt files set aside.

    Slots of running sessions are skipped. A corrupt file is renamed to ``*.corrupt`` (never
    deleted: it may still hold work someone can rescue by hand).
    """
    found: list[RecoveredProject] = []
    corrupt: list[CorruptRecovery] = []
    if not folder.is_dir():
        return found, corrupt
    for path in sorted(folder.glob(f"*{EXTENSION}")):
        if _owner_alive(path):
            continue
        try:
            found.append(read_recovery(path))
        except CnnStudioError as exc:
            reason = exc.reason if isinstance(exc, ProjectFileError) else str(exc)
            if isinstance(exc, ProjectFileError) and exc.json_path:
                reason = f"at {exc.json_path}: {reason}"
            aside = path.with_name(path.name + CORRUPT_SUFFIX)
            try:
                os.replace(path, aside)
            except OSError:
                aside = path  # reported again at the next start rather than lost
            with contextlib.suppress(OSError):
                path.with_suffix(LOCK_SUFFIX).unlink(missing_ok=True)
            corrupt.append(CorruptRecovery(aside, reason))
    found.sort(key=lambda r: r.saved_at)
    return found, corrupt
