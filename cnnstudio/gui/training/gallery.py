"""The validation images behind one confusion-matrix cell, most confident first.

Choosing an image shows where the network looked (an attribution map over it, asked for with
``attribution_wanted``): "why was this star taken for a triangle?"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.plots.attribution import AttributionPanel
from cnnstudio.gui.plots.images import sample_pixmap
from cnnstudio.train.callbacks import ValPredictions

if TYPE_CHECKING:
    from cnnstudio.train.data.dataset import DataSplit

TILE = 72
MAX_SHOWN = 300  # a cell of a big validation set can hold thousands; the best ones are enough


class GalleryDialog(QDialog):
    """Non-modal: it stays open beside the dashboard while training goes on."""

    attribution_wanted = Signal(int)  # index into the validation set

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionGallery")
        self.setWindowTitle("Validation images")
        self.setModal(False)
        self.resize(820, 480)
        self.title = QLabel()
        self.title.setObjectName("galleryTitle")
        self.title.setWordWrap(True)
        self.grid = QListWidget()
        self.grid.setObjectName("galleryGrid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setIconSize(QSize(TILE, TILE))
        self.grid.setGridSize(QSize(TILE + 22, TILE + 38))
        self.grid.setUniformItemSizes(True)
        self.grid.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.attribution = AttributionPanel("galleryAttribution")
        self.attribution.changed.connect(self._ask_again)
        self.grid.currentRowChanged.connect(self._image_chosen)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.setChildrenCollapsible(False)
        body.addWidget(self.grid)
        body.addWidget(self.attribution)
        body.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(body, 1)
        layout.addWidget(buttons)
        self.indices: list[int] = []
        self.val: DataSplit | None = None

    def show_cell(
        self,
        val: DataSplit,
        predictions: ValPredictions,
        class_names: Sequence[str],
        true: int,
        predicted: int,
    ) -> None:
        indices = predictions.samples(true, predicted)
        self.indices = [int(i) for i in indices[:MAX_SHOWN]]
        t, p = class_names[true], class_names[predicted]
        verdict = "correct" if true == predicted else "mistaken"
        more = f", showing the {MAX_SHOWN} most confident" if len(indices) > MAX_SHOWN else ""
        self.title.setText(
            f"<b>{t} → {p}</b> ({verdict}): {len(indices):,} validation image"
            f"{'s' * (len(indices) != 1)} after epoch {predictions.epoch}{more}."
        )
        self.setWindowTitle(f"{t} → {p}")
        self.val = val
        self.attribution.set_classes(class_names)
        self.attribution.clear()
        self.grid.blockSignals(True)
        self.grid.clear()
        for index in self.indices:
            confidence = 100.0 * float(predictions.confidence[index])
            item = QListWidgetItem(
                QIcon(sample_pixmap(val.x[index], TILE)), f"#{index}\n{confidence:.0f} %"
            )
            item.setToolTip(f"validation image {index}: {t} → {p} with {confidence:.1f} %")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.grid.addItem(item)
        if not self.indices:
            self.grid.addItem(QListWidgetItem("No images in this cell."))
        self.grid.blockSignals(False)
        self.show()
        self.raise_()
        if self.indices:
            self.grid.setCurrentRow(0)

    def _image_chosen(self, row: int) -> None:
        if self.val is None or not 0 <= row < len(self.indices):
            return
        index = self.indices[row]
        self.attribution.set_sample(index, self.val.x[index])
        self.attribution_wanted.emit(index)

    def _ask_again(self) -> None:
        if self.attribution.sample is not None:
            self.attribution_wanted.emit(self.attribution.sample)
