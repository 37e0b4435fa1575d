"""Convolution kernels, live: what each filter of a chosen layer has learned to look for.

The first convolution's kernels come with every capture; another layer's are asked for when the
user picks it (``node_chosen``). Kernels over 3 input channels are RGB tiles; others are one row
per output channel, one column per input channel, blue negative and red positive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnnstudio.gui.plots.feature_maps import image_view
from cnnstudio.gui.plots.mosaic import Mosaic, kernel_mosaic
from cnnstudio.gui.plots.style import LiveText, diverging_table, plot_colours
from cnnstudio.train.callbacks import Features

LEVELS = ("Each output scaled", "Shared scale")


class FiltersView(QWidget):
    node_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterView")
        self.setAutoFillBackground(True)  # opaque: a redraw stops here, not at the tabs
        self.weights: dict[str, np.ndarray] = {}
        self.where = ""
        self.mosaic: Mosaic | None = None
        self.shown: tuple[str, tuple[int, ...]] | None = None  # node, weight shape
        self._dirty = False
        self.node_box = QComboBox()
        self.node_box.setObjectName("filterNode")
        self.node_box.setMinimumContentsLength(10)
        self.node_box.activated.connect(self._node_picked)
        self.levels_box = QComboBox()
        self.levels_box.setObjectName("filterLevels")
        self.levels_box.addItems(LEVELS)
        self.levels_box.currentIndexChanged.connect(self.redraw)
        self.caption = LiveText("Kernels appear here once training starts.")
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Layer"))
        controls.addWidget(self.node_box)
        controls.addWidget(self.levels_box)
        controls.addWidget(self.caption, 1)
        self.widget, self.box, self.image_item = image_view()
        self.widget.setObjectName("filterMosaic")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(controls)
        layout.addWidget(self.widget, 1)

    def set_layers(self, layers: Sequence[tuple[str, str]]) -> None:
        """The convolution layers one may pick: (node id, description such as ``6 @ 5x5``)."""
        current = self.node
        self.node_box.blockSignals(True)
        self.node_box.clear()
        for node_id, text in layers:
            self.node_box.addItem(f"{node_id}  ({text})", node_id)
        index = self.node_box.findData(current)
        self.node_box.setCurrentIndex(index if index >= 0 else 0)
        self.node_box.blockSignals(False)

    @property
    def node(self) -> str | None:
        data = self.node_box.currentData()
        return str(data) if data is not None else None

    def select_node(self, node_id: str) -> bool:
        index = self.node_box.findData(node_id)
        if index < 0:
            return False
        if index != self.node_box.currentIndex():
            self.node_box.setCurrentIndex(index)
            self.node_chosen.emit(node_id)
            self.redraw()
        return True

    def set_features(self, features: Features) -> None:
        self.weights = dict(features.weights)
        self.where = f"epoch {features.epoch}, batch {features.batch}"
        self._dirty = True

    def clear(self) -> None:
        self.weights = {}
        self.mosaic = None
        self.shown = None
        self.image_item.clear()
        self.caption.setText("Kernels appear here once training starts.")

    @property
    def dirty(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        node = self.node
        weights = self.weights.get(node) if node is not None else None
        if weights is None or weights.ndim != 4:
            if node is not None and self.weights:
                self.caption.setText(f"{node}: waiting for its kernels…")
            return
        shared = self.levels_box.currentIndex() == 1
        mosaic = kernel_mosaic(weights, diverging_table(), shared, plot_colours().gap)
        resized = self.mosaic is None or mosaic.image.shape != self.mosaic.image.shape
        self.mosaic = mosaic
        self.image_item.setImage(mosaic.image, autoLevels=False)
        if resized:
            self.box.autoRange(padding=0.01)
        out_ch, in_ch, kh, kw = weights.shape
        kind = "RGB" if in_ch == 3 else f"{in_ch} input channel{'s' * (in_ch != 1)}"
        self.caption.setText(f"{out_ch} filters of {kh}x{kw}, {kind} · {self.where}")
        self.shown = (node or "", tuple(weights.shape))

    def redraw(self) -> None:
        self._dirty = True
        self.refresh()

    def _node_picked(self, index: int) -> None:
        node = self.node_box.itemData(index)
        if node is not None:
            self.node_chosen.emit(str(node))
            self.redraw()
