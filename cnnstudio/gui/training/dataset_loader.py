"""Loads datasets off the GUI thread, for the data preview and for training alike.

A dataset can take seconds to load (generating shapes, decoding a folder, downloading), so each
load runs in its own short-lived thread. Results are cached by what determines them, and the
trainer is handed the same object the preview shows, so nothing is loaded twice. One load runs
at a time; a request made meanwhile waits, and only the newest waiting request is kept.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.threads import back_to_gui_thread
from cnnstudio.train.data.errors import DatasetError, DownloadCancelled

if TYPE_CHECKING:
    from cnnstudio.train.data.dataset import Dataset

CACHE_SIZE = 2  # the current dataset and the previous one (switching back is instant)
_SIZED_BY_INPUT = (None, "shapes", "shapes-rgb", "folder")  # sources that follow the Input shape


@dataclass(frozen=True)
class DataRequest:
    """A project's ``dataset`` section as it applies to a network with ``input_shape``."""

    section: dict[str, Any] | None
    input_shape: tuple[int, ...]
    base_dir: Path
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        source = self.section.get("source") if self.section else None
        shape = list(self.input_shape) if source in _SIZED_BY_INPUT else None
        where = str(self.base_dir) if self.section and self.section.get("path") else None
        key = json.dumps([self.section, shape, where], sort_keys=True, default=str)
        object.__setattr__(self, "key", key)


class _LoadJob(QObject):
    loaded = Signal(object, object)  # DataRequest, Dataset
    failed = Signal(object, str)
    progress = Signal(int, int)

    def __init__(self, request: DataRequest, cancel: threading.Event) -> None:
        super().__init__()
        self.request = request
        self.cancel = cancel

    @Slot()
    def run(self) -> None:
        thread = QThread.currentThread()
        r = self.request
        try:
            # torch, in this thread: the editor imports it when data are first needed
            from cnnstudio.train.data.config import dataset_from_config

            dataset = dataset_from_config(
                r.section,
                r.input_shape,
                base_dir=r.base_dir,
                progress=lambda done, total: self.progress.emit(done, total),
                cancel=self.cancel,
                check_shape=False,
            )
            _ = dataset.normalization  # computed here, not when training starts
            self.loaded.emit(r, dataset)
        except DownloadCancelled:
            self.failed.emit(r, "loading the dataset was cancelled")
        except DatasetError as exc:
            self.failed.emit(r, str(exc))
        except (OSError, ValueError, MemoryError) as exc:
            self.failed.emit(r, f"cannot load the dataset: {type(exc).__name__}: {exc}")
        finally:
            back_to_gui_thread(self)
            thread.quit()


class DatasetLoader(QObject):
    loaded = Signal(object, object)  # DataRequest, Dataset
    failed = Signal(object, str)
    progress = Signal(int, int)  # bytes downloaded, total

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[str, Dataset] = {}
        self._thread: QThread | None = None
        self._job: _LoadJob | None = None
        self._waiting: DataRequest | None = None
        self._cancel = threading.Event()

    def cached(self, request: DataRequest) -> Dataset | None:
        return self._cache.get(request.key)

    @property
    def loading(self) -> DataRequest | None:
        return self._job.request if self._job is not None else None

    def load(self, request: DataRequest) -> Dataset | None:
        """The dataset if cached; otherwise start loading it (``loaded`` or ``failed`` follows)."""
        found = self.cached(request)
        if found is not None:
            return found
        if self._job is not None:
            if self._job.request.key != request.key:
                self._waiting = request
            return None
        self._start(request)
        return None

    def _start(self, request: DataRequest) -> None:
        self._cancel = threading.Event()
        job = _LoadJob(request, self._cancel)
        thread = QThread()
        thread.setObjectName("datasetLoaderThread")
        job.moveToThread(thread)
        job.loaded.connect(self._loaded)
        job.failed.connect(self.failed)
        job.progress.connect(self.progress)
        thread.started.connect(job.run)
        thread.finished.connect(self._finished)
        self._thread, self._job = thread, job
        gui_thread_collector().hold()
        thread.start()

    def _loaded(self, request: DataRequest, dataset: Dataset) -> None:
        self._cache.pop(request.key, None)
        self._cache[request.key] = dataset
        while len(self._cache) > CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self.loaded.emit(request, dataset)

    def _finished(self) -> None:
        thread, job = self._thread, self._job
        if thread is None or job is None:
            return
        thread.wait()
        self._thread = self._job = None
        job.deleteLater()
        thread.deleteLater()
        gui_thread_collector().release()
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self.load(waiting)

    def cancel(self) -> None:
        """Cancel a download in progress (other loading steps finish, their result is kept)."""
        self._waiting = None
        self._cancel.set()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel and wait for the loading thread; False if it is still busy after the timeout."""
        self.cancel()
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(timeout_ms):
            return False
        QCoreApplication.sendPostedEvents(self)
        self._finished()
        return True
