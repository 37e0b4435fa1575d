"""What one validation sample looks like inside the network, live: every channel of a chosen node.

All channels are drawn as one mosaic image (see ``mosaic.py``); a node whose output is a vector
(a Linear layer) is drawn as bars. Beside it: the sample itself and the classes the network
gives it most probability for, and where it looked to decide (``AttributionPanel``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.plots.attribution import AttributionPanel
from cnnstudio.gui.plots.bars import ProbabilityBars, VectorBars
from cnnstudio.gui.plots.images import Sample, sample_pixmap
from cnnstudio.gui.plots.mosaic import MAX_TILES, Mosaic, feature_mosaic
from cnnstudio.gui.plots.style import (
    ACTIVATION_MAP,
    LiveText,
    blank_until_drawn,
    lookup_table,
    plot_colours,
    style_widget,
)
from cnnstudio.gui.plots.views import GraphicsLayoutWidget, PlotWidget, ViewBox
from cnnstudio.train.callbacks import Features

STRIP_ICON = 32
PROBE_IMAGE = 80
LEVELS = ("Each map scaled", "Shared scale")


def sample_strip(name: str) -> QListWidget:
    """A one-row strip of sample thumbnails; choosing one probes that sample."""
    strip = QListWidget()
    strip.setObjectName(name)
    strip.setViewMode(QListView.ViewMode.IconMode)
    strip.setFlow(QListView.Flow.LeftToRight)
    strip.setWrapping(False)
    strip.setMovement(QListView.Movement.Static)
    strip.setIconSize(QSize(STRIP_ICON, STRIP_ICON))
    strip.setSpacing(2)
    strip.setFixedHeight(STRIP_ICON + 26)
    strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return strip


def image_view() -> tuple[GraphicsLayoutWidget, ViewBox, pg.ImageItem]:
    """A widget showing one image with square pixels, top row at the top."""
    widget = GraphicsLayoutWidget()
    style_widget(widget)
    box = widget.add_view_box(lockAspect=True, invertY=True, enableMenu=False)
    item = pg.ImageItem(axisOrder="row-major")
    box.addItem(item)
    return widget, box, item


class FeatureMapsView(QWidget):
    sample_chosen = Signal(int)  # index into the validation set
    node_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureMaps")
        self.setAutoFillBackground(True)  # opaque: a redraw stops here, not at the tabs
        self.class_names: tuple[str, ...] = ()
        self.features: Features | None = None
        self.probe_image: Sample | None = None
        self.mosaic: Mosaic | None = None
        self.shown: tuple[str, int, tuple[int, ...]] | None = None  # node, maps, map shape
        self._dirty = False
        self._fit_pending = True
        self._wanted_node: str | None = None

        self.samples = sample_strip("sampleStrip")
        self.samples.currentRowChanged.connect(self._sample_row_changed)
        self.node_box = QComboBox()
        self.node_box.setObjectName("featureNode")
        self.node_box.setMinimumContentsLength(10)
        self.node_box.setToolTip("The node whose output is shown (or select it on the canvas)")
        self.node_box.activated.connect(self._node_picked)
        self.levels_box = QComboBox()
        self.levels_box.setObjectName("featureLevels")
        self.levels_box.addItems(LEVELS)
        self.levels_box.setToolTip(
            "Scale each map to its own range (shows every map's pattern) or all maps to one "
            "range (shows which maps respond most)"
        )
        self.levels_box.currentIndexChanged.connect(self.redraw)
        self.caption = LiveText("Train the network to see what its layers respond to.")
        self.caption.setObjectName("featureCaption")
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Node"))
        controls.addWidget(self.node_box)
        controls.addWidget(self.levels_box)
        controls.addWidget(self.caption, 1)

        self.maps_widget, self.maps_box, self.mosaic_item = image_view()
        self.maps_widget.setObjectName("featureMosaic")
        self.vector_widget = PlotWidget()
        style_widget(self.vector_widget)
        self.vector_bars = VectorBars(self.vector_widget.getPlotItem())
        self.body = QStackedWidget()
        self.body.addWidget(self.maps_widget)
        self.body.addWidget(self.vector_widget)

        self.image_label = QLabel()
        self.image_label.setObjectName("probeImage")
        self.image_label.setFixedSize(PROBE_IMAGE, PROBE_IMAGE)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.truth_label = LiveText(lines=4)
        self.prob_widget = PlotWidget()
        self.prob_widget.setObjectName("probabilityBars")
        style_widget(self.prob_widget)
        self.probabilities = ProbabilityBars(self.prob_widget.getPlotItem(), rows=5)
        self.prob_widget.setMinimumWidth(170)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.image_label)
        top.addWidget(self.truth_label, 1)
        side.addLayout(top)
        side.addWidget(self.prob_widget, 1)
        # Draws the sample, with where the network looked over it, into image_label.
        self.attribution = AttributionPanel("probeAttribution", self.image_label, PROBE_IMAGE)
        blank_until_drawn(self.prob_widget)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.body, 3)
        body.addLayout(side, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.samples)
        layout.addLayout(controls)
        layout.addWidget(self.attribution)
        layout.addLayout(body, 1)

    # ---- data in ---------------------------------------------------------------------------
    def set_samples(
        self, images: Sequence[Sample], labels: Sequence[int], class_names: Sequence[str]
    ) -> None:
        """Fill the strip with validation samples 0..n-1 (``images[i]`` is sample i)."""
        self.class_names = tuple(class_names)
        self.attribution.set_classes(self.class_names)
        self.samples.blockSignals(True)
        self.samples.clear()
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            item = QListWidgetItem(QIcon(sample_pixmap(image, STRIP_ICON)), "")
            name = self.class_names[label] if 0 <= label < len(self.class_names) else str(label)
            item.setToolTip(f"validation sample {i}: {name}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.samples.addItem(item)
        self.samples.setCurrentRow(0 if images else -1)
        self.samples.blockSignals(False)

    def set_features(self, features: Features, image: Sample | None) -> None:
        """Keep the newest capture; it is drawn on the next ``refresh``."""
        self.features = features
        self.probe_image = image
        self._dirty = True
        if self.samples.currentRow() != features.sample and features.sample < self.samples.count():
            self.samples.blockSignals(True)
            self.samples.setCurrentRow(features.sample)
            self.samples.blockSignals(False)

    def select_node(self, node_id: str) -> bool:
        """Show ``node_id`` (from a canvas selection); False if it has no captured output."""
        self._wanted_node = node_id
        index = self.node_box.findData(node_id)
        if index < 0:
            return False
        if index != self.node_box.currentIndex():
            self.node_box.setCurrentIndex(index)
            self.redraw()
        return True

    @property
    def node(self) -> str | None:
        data = self.node_box.currentData()
        return str(data) if data is not None else None

    def clear(self) -> None:
        self.features = None
        self.mosaic = None
        self.shown = None
        self.mosaic_item.clear()
        self.node_box.clear()
        self.samples.clear()
        self.image_label.clear()
        self.truth_label.clear()
        self.prob_widget.hide()
        self.attribution.clear()
        self.caption.setText("Train the network to see what its layers respond to.")
        self._fit_pending = True

    # ---- drawing ---------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if not self._dirty or self.features is None:
            return
        self._dirty = False
        self._update_nodes(self.features)
        self._draw(self.features)

    def redraw(self) -> None:
        if self.features is not None:
            self._dirty = True
            self.refresh()

    def _update_nodes(self, features: Features) -> None:
        ids = [n for n, a in features.activations.items() if a.ndim in (1, 3)]
        current = [self.node_box.itemData(i) for i in range(self.node_box.count())]
        if ids == current:
            return
        keep = self._wanted_node if self._wanted_node in ids else self.node
        self.node_box.blockSignals(True)
        self.node_box.clear()
        for node_id in ids:
            shape = features.activations[node_id].shape
            self.node_box.addItem(f"{node_id}  ({'x'.join(map(str, shape))})", node_id)
        if keep not in ids:
            keep = next((n for n in ids[1:] if features.activations[n].ndim == 3), None)
            keep = keep or (ids[0] if ids else None)
        self.node_box.setCurrentIndex(max(self.node_box.findData(keep), 0))
        self.node_box.blockSignals(False)

    def _draw(self, f: Features) -> None:
        node = self.node
        values = f.activations.get(node) if node is not None else None
        if values is None:
            return
        c = plot_colours()
        where = f"epoch {f.epoch}, batch {f.batch}"
        if values.ndim == 3:
            shared = self.levels_box.currentIndex() == 1
            mosaic = feature_mosaic(values, lookup_table(ACTIVATION_MAP), shared, c.gap)
            resized = self.mosaic is None or mosaic.image.shape != self.mosaic.image.shape
            self.mosaic = mosaic
            self.mosaic_item.setImage(mosaic.image, autoLevels=False)
            if resized or self._fit_pending:
                self.maps_box.autoRange(padding=0.01)
                self._fit_pending = False
            self.body.setCurrentWidget(self.maps_widget)
            cut = f" (first {MAX_TILES})" if len(values) > MAX_TILES else ""
            h, w = values.shape[1:]
            self.caption.setText(f"{len(values)} maps of {h}x{w}{cut} · {where}")
            self.shown = (node or "", len(values), (h, w))
        else:
            self.vector_bars.set_values(values)
            self.body.setCurrentWidget(self.vector_widget)
            self.caption.setText(f"{values.size} values · {where}")
            self.shown = (node or "", 1, (values.size,))
        self._draw_sample(f)

    def _draw_sample(self, f: Features) -> None:
        names = self.class_names or tuple(str(i) for i in range(len(f.probabilities)))
        self.prob_widget.show()
        # As many classes as have room to be named (a row needs ~18 px; the axis ~40).
        self.probabilities.rows = max(2, min(10, (self.prob_widget.height() - 40) // 18))
        self.probabilities.set_probabilities(np.asarray(f.probabilities), names, f.label)
        if self.probe_image is not None:
            self.attribution.set_sample(f.sample, self.probe_image)
        predicted = int(np.argmax(f.probabilities)) if len(f.probabilities) else -1
        true_name = names[f.label] if 0 <= f.label < len(names) else str(f.label)
        guess = names[predicted] if 0 <= predicted < len(names) else "?"
        mark = "✓" if predicted == f.label else "✗"
        self.truth_label.setText(
            f"sample {f.sample}\ntrue: {true_name}\npredicted: {guess} {mark}\n"
            f"({100 * float(f.probabilities[predicted]):.1f} %)"
            if predicted >= 0
            else f"sample {f.sample}\ntrue: {true_name}"
        )

    # ---- user input ------------------------------------------------------------------------
    def _sample_row_changed(self, row: int) -> None:
        if row >= 0:
            self.sample_chosen.emit(row)

    def _node_picked(self, index: int) -> None:
        node = self.node_box.itemData(index)
        if node is not None:
            self._wanted_node = str(node)
            self.node_chosen.emit(str(node))
            self.redraw()
