"""Fetching the standard datasets, checked against known SHA-256 sums.

Every file is written to ``<name>.part`` and renamed only once its checksum matches, so an
interrupted or cancelled download never leaves a file that looks complete; the next attempt
resumes the ``.part`` with an HTTP range request where the server supports it. Each file
tries the mirrors in order and moves on to the next one on any failure.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from .catalog import STANDARD_DATASETS, RemoteFile, StandardDataset
from .errors import DatasetError, DownloadCancelled

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes in total) across all files of a download."""
CancelCheck = Callable[[], bool] | threading.Event

CACHE_ENV = "CNNSTUDIO_DATA"
_CHUNK = 256 * 1024
_USER_AGENT = "cnnstudio-dataset-download"


def default_cache_dir() -> Path:
    """``$CNNSTUDIO_DATA`` if set, else ``~/.cache/cnnstudio/datasets``."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path.home() / ".cache/cnnstudio/datasets"


def download_dataset(
    name: str,
    root: Path | str | None = None,
    mirrors: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    *,
    files: Sequence[RemoteFile] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Make sure the dataset ``name`` is in ``root`` (default: its cache folder); return it.

    ``mirrors`` are base URLs tried in order for every file (default: the catalog's);
    ``files`` overrides the expected files and checksums. ``cancel`` is polled between
    chunks and raises :class:`DownloadCancelled`. Failures of all mirrors raise
    :class:`DatasetError` listing what went wrong with each.
    """
    spec = STANDARD_DATASETS.get(name)
    if spec is None:
        raise DatasetError(f"{name!r} cannot be downloaded; known: {', '.join(STANDARD_DATASETS)}")
    folder = Path(root) if root is not None else default_cache_dir() / name
    data_folder = folder / spec.archive_folder if spec.archive_folder else folder
    if all((data_folder / f).is_file() for f in spec.data_files):
        return folder
    wanted = tuple(files) if files is not None else spec.files
    urls = tuple(mirrors) if mirrors is not None else spec.mirrors
    if not urls:
        raise DatasetError(f"no mirrors to download {spec.title} from")
    folder.mkdir(parents=True, exist_ok=True)
    meter = _Meter(sum(f.size for f in wanted), progress, _as_check(cancel))
    for remote in wanted:
        path = folder / remote.name
        if not path.is_file():
            _download_file(remote, urls, path, meter, timeout)
        meter.finish(path.stat().st_size)
        if spec.archive_folder:
            _extract(path, spec, folder)
            path.unlink()
    return folder


def _as_check(cancel: CancelCheck | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


class _Meter:
    """Overall progress, reported to the caller, and the cancellation check."""

    def __init__(
        self, total: int, callback: ProgressCallback | None, cancelled: Callable[[], bool]
    ) -> None:
        self.total = total
        self.finished = 0  # bytes of the files already complete
        self.callback = callback
        self.cancelled = cancelled

    def report(self, current: int) -> None:
        """``current`` bytes of the file being fetched are on disk."""
        if self.callback is not None:
            self.callback(self.finished + current, self.total)

    def finish(self, size: int) -> None:
        self.finished += size
        self.report(0)


def _download_file(
    remote: RemoteFile, urls: Sequence[str], path: Path, meter: _Meter, timeout: float
) -> None:
    part = path.with_name(path.name + ".part")
    failures = []
    for base in urls:
        url = base.rstrip("/") + "/" + remote.name
        try:
            resumed = _fetch(url, part, meter, timeout)
            if resumed and _sha256(part) != remote.sha256:
                # The kept bytes may come from a bad copy: start over from this mirror.
                part.unlink()
                _fetch(url, part, meter, timeout)
            digest = _sha256(part)
            if digest != remote.sha256:
                part.unlink()
                raise _ChecksumMismatch(f"SHA-256 {digest} instead of {remote.sha256}")
        except (OSError, http.client.HTTPException, _ChecksumMismatch) as exc:
            failures.append(f"{url}: {_describe(exc)}")
            continue
        os.replace(part, path)
        return
    raise DatasetError(f"could not download {remote.name}: " + "; ".join(failures))


class _ChecksumMismatch(Exception):
    """A mirror served bytes that are not the published file."""


def _fetch(url: str, part: Path, meter: _Meter, timeout: float) -> bool:
    """Append ``url``'s body to ``part``, resuming if it exists; True if it did resume."""
    offset = _size(part)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:  # nothing left to fetch: the .part is complete
            return True
        raise
    with response:
        resumed = offset > 0 and response.status == 206
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        position = offset if resumed else 0
        with part.open("ab" if resumed else "wb") as out:
            while True:
                if meter.cancelled():
                    raise DownloadCancelled(f"download of {part.stem} cancelled")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                meter.report(position + received)
        if expected is not None and received != expected:
            raise ConnectionError(f"connection closed after {received} of {expected} bytes")
    return resumed


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _extract(archive: Path, spec: StandardDataset, folder: Path) -> None:
    """Copy the data files out of a verified archive (by name only, so no path tricks)."""
    assert spec.archive_folder is not None
    target = folder / spec.archive_folder
    target.mkdir(exist_ok=True)
    wanted = set(spec.data_files)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = PurePosixPath(member.name).name
                if not member.isfile() or name not in wanted:
                    continue
                source = tar.extractfile(member)
                assert source is not None
                part = target / f"{name}.part"
                with source, part.open("wb") as out:
                    while block := source.read(1 << 20):
                        out.write(block)
                os.replace(part, target / name)
                wanted.discard(name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DatasetError(f"{archive}: cannot extract ({exc})") from exc
    if wanted:
        raise DatasetError(f"{archive}: missing {', '.join(sorted(wanted))}")
