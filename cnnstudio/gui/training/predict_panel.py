"""The dashboard's Predict tab: the trained network on the user's own pictures.

Image files or folders dropped here (or chosen with Open Images…) are classified in a
background thread, each converted as the dataset's images were (``train.predict``); a row per
image shows its Grad-CAM overlay, the predicted class and the top five probabilities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QThread, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.plots.attribution import overlay_pixmap
from cnnstudio.gui.plots.images import to_display
from cnnstudio.train.overlay import DEFAULT_OPACITY

ICON = 96
TOP = 5
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.PNG *.JPG *.JPEG *.BMP)"
NO_WEIGHTS = (
    "This project has no trained weights yet: train it (F5), or open a project saved with "
    "its weights, to classify your own images."
)


@dataclasses.dataclass(frozen=True)
class PredictedImage:
    path: Path
    pixels: np.ndarray  # uint8 (C, H, W) as the network saw it
    probabilities: np.ndarray
    heat: np.ndarray | None  # Grad-CAM of the predicted class
    class_names: tuple[str, ...]


class PredictJob(QThread):
    """Classifies the images in order; torch is imported here, not in the GUI thread."""

    predicted = Signal(PredictedImage)
    failed = Signal(str)  # one image could not be read
    refused = Signal(str)  # the network cannot predict at all (no weights, not fitting...)

    def __init__(self, project: Project, weights: Path | None, paths: Sequence[Path]) -> None:
        super().__init__()
        self.project, self.weights, self.paths = project, weights, list(paths)

    def run(self) -> None:
        from cnnstudio.train.predict import ImageError, Predictor, image_files

        try:
            predictor = Predictor(self.project, self.weights)
        except (CnnStudioError, OSError) as exc:
            self.refused.emit(str(exc))
            return
        for path in image_files(self.paths):
            if self.isInterruptionRequested():
                return
            try:
                found = predictor.predict(path)
            except ImageError as exc:
                self.failed.emit(str(exc))
                continue
            heat = found.cam.heat if found.cam is not None else None
            self.predicted.emit(
                PredictedImage(path, found.pixels, found.probabilities, heat, predictor.class_names)
            )


# What the panel classifies with: the project (a copy the thread may keep) and the weights
# file not yet attached to it (None: the attached ones), or None when there are none.
WeightsSource = Callable[[], tuple[Project, Path | None] | None]


class PredictPanel(QWidget):
    def __init__(self, source: WeightsSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictTab")
        self.setAcceptDrops(True)
        self.source = source
        self.results: list[PredictedImage] = []
        self.errors: list[str] = []
        self._job: PredictJob | None = None

        hint = QLabel(
            "Drop PNG, JPEG or BMP images, or folders of them, here: each is resized to the "
            "network's input and classified with the trained weights."
        )
        hint.setWordWrap(True)
        self.open_button = QPushButton("Open Images…")
        self.open_button.setObjectName("predictOpen")
        self.open_button.clicked.connect(self.open_images)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setObjectName("predictOpacity")
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(100 * DEFAULT_OPACITY))
        self.opacity.setMaximumWidth(160)
        self.opacity.setToolTip("How strongly the Grad-CAM map covers each image")
        self.opacity.valueChanged.connect(self._redraw)
        top = QHBoxLayout()
        top.addWidget(hint, 1)
        top.addWidget(QLabel("Grad-CAM"))
        top.addWidget(self.opacity)
        top.addWidget(self.open_button)
        self.message = QLabel("")
        self.message.setObjectName("predictMessage")
        self.message.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("predictResults")
        self.list.setViewMode(QListView.ViewMode.ListMode)
        self.list.setFlow(QListView.Flow.LeftToRight)  # rows of results, as wide as the tab
        self.list.setWrapping(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setGridSize(QSize(ICON + 260, ICON + 12))
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.list, 1)

    # ---- input -----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.predict(paths)

    def open_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Predict on Images", "", IMAGE_FILTER)
        if files:
            self.predict([Path(f) for f in files])

    def predict(self, paths: Sequence[Path]) -> None:
        """Classify ``paths`` (files or folders), replacing the results shown."""
        self.stop()
        self.results, self.errors = [], []
        self.list.clear()
        found = self.source()
        if found is None:
            self.message.setText(NO_WEIGHTS)
            return
        project, weights = found
        self.message.setText(f"Classifying {len(paths)} item{'s' * (len(paths) != 1)}…")
        job = PredictJob(project, weights, paths)
        job.predicted.connect(self._predicted)
        job.failed.connect(self._failed)
        job.refused.connect(self._refused)
        job.finished.connect(self._finished)
        self._job = job
        gui_thread_collector().hold_until_finished(job)  # Python runs in it; see gui.gc_guard
        job.start()

    @property
    def busy(self) -> bool:
        return self._job is not None

    def stop(self) -> None:
        """End a classification still going (at its next image); what it still sends is
        dropped (the handlers only take the current job's signals)."""
        job, self._job = self._job, None
        if job is not None:
            job.requestInterruption()
            job.wait()
            job.deleteLater()

    def _current(self) -> bool:
        return self._job is not None and self.sender() is self._job

    # ---- results ---------------------------------------------------------------------------
    def _predicted(self, found: PredictedImage) -> None:
        if not self._current():
            return
        self.results.append(found)
        names, probs = found.class_names, found.probabilities
        order = probs.argsort()[::-1][:TOP]
        best = int(order[0])
        lines = [f"{found.path.name}: {names[best]} ({100 * float(probs[best]):.1f} %)"]
        lines += [f"    {names[i]}  {100 * float(probs[i]):.1f} %" for i in order]
        item = QListWidgetItem(self._icon(found), "\n".join(lines))
        item.setToolTip(str(found.path))
        self.list.addItem(item)

    def _icon(self, found: PredictedImage) -> QIcon:
        opacity = self.opacity.value() / 100.0
        return QIcon(overlay_pixmap(to_display(found.pixels), found.heat, opacity, ICON))

    def _redraw(self) -> None:
        for row, found in enumerate(self.results):
            self.list.item(row).setIcon(self._icon(found))

    def _failed(self, message: str) -> None:
        if self._current():
            self.errors.append(message)

    def _refused(self, message: str) -> None:
        if self._current():
            self.errors.append(message)
            self.message.setText(f"Cannot classify: {message}")

    def _finished(self) -> None:
        if not self._current():
            return
        job, self._job = self._job, None
        assert job is not None
        job.deleteLater()
        if self.results or not self.errors:
            n = len(self.results)
            text = f"{n} image{'s' * (n != 1)} classified." if n else "No PNG, JPEG or BMP images."
            if self.errors:
                text += f" {len(self.errors)} could not be read: " + "; ".join(self.errors[:3])
            self.message.setText(text)
