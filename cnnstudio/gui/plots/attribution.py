"""One sample with an attribution map over it: where the network looked to decide.

The map arrives from elsewhere (the training process or a background thread); this view only
blends it over the sample, so the opacity slider redraws at once without asking again.
Changing the method, the class or the Grad-CAM layer emits ``changed`` for a new map. Given a
``picture`` label of another view (the feature maps panel's sample), the panel draws there and
lays its controls out in one row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.plots.images import Sample, qimage, to_display
from cnnstudio.train.callbacks import ATTRIBUTION_METHODS, AttributionMap
from cnnstudio.train.overlay import DEFAULT_OPACITY, overlay

IMAGE_SIZE = 140
PREDICTED = "Predicted class"


def overlay_pixmap(
    image: np.ndarray, heat: np.ndarray | None, opacity: float, size: int
) -> QPixmap:
    """``image`` (uint8 ``(H, W[, 3])``) with ``heat`` over it, scaled to ``size`` pixels."""
    pixels = overlay(image, heat, opacity) if heat is not None and heat.size else image
    return QPixmap.fromImage(
        qimage(pixels).scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
    )


class AttributionPanel(QWidget):
    changed = Signal()  # method, class or layer changed: a new map is needed

    def __init__(
        self,
        name: str = "attributionPanel",
        picture: QLabel | None = None,
        size: int = IMAGE_SIZE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.image: np.ndarray | None = None
        self.sample: int | None = None
        self.map: AttributionMap | None = None
        self.class_names: tuple[str, ...] = ()
        self.image_size = size

        self.picture = picture if picture is not None else QLabel()
        if picture is None:
            self.picture.setObjectName("attributionImage")
            self.picture.setFixedSize(size, size)
            self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.method = QComboBox()
        self.method.setObjectName("attributionMethod")
        for key, label in ATTRIBUTION_METHODS.items():
            self.method.addItem(label, key)
        self.method.setToolTip(
            "Grad-CAM: which regions a convolution's maps used for the class. Saliency: which "
            "pixels change the class score most. Integrated gradients: how much each pixel "
            "contributed, summed along a path from a blank image."
        )
        self.target = QComboBox()
        self.target.setObjectName("attributionTarget")
        self.target.setToolTip("The class whose evidence is shown")
        self.layer = QComboBox()
        self.layer.setObjectName("attributionLayer")
        self.layer.setToolTip("The convolution Grad-CAM looks at (default: the last one)")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setObjectName("attributionOpacity")
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(100 * DEFAULT_OPACITY))
        self.opacity.setToolTip("How strongly the map covers the image")
        self.caption = QLabel("")
        self.caption.setObjectName("attributionCaption")
        if picture is not None:  # one row under another view's controls
            self.opacity.setMaximumWidth(90)
            self.caption.setMinimumWidth(40)
            row = QHBoxLayout(self)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(QLabel("Why"))
            for widget in (self.method, self.target, self.layer, self.opacity):
                row.addWidget(widget)
            row.addWidget(self.caption, 1)
        else:
            self.caption.setWordWrap(True)
            form = QFormLayout()
            form.setContentsMargins(0, 0, 0, 0)
            form.addRow("Method", self.method)
            form.addRow("Class", self.target)
            form.addRow("Layer", self.layer)
            form.addRow("Opacity", self.opacity)
            layout = QVBoxLayout(self)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
            layout.addLayout(form)
            layout.addWidget(self.caption)
        for box in (self.method, self.target, self.layer):
            box.activated.connect(self._picked)
        self.opacity.valueChanged.connect(self._draw)
        self.set_classes(())

    # ---- what can be asked -----------------------------------------------------------------
    def set_classes(self, names: Sequence[str]) -> None:
        if tuple(names) == self.class_names and self.target.count():
            return
        self.class_names = tuple(names)
        keep = self.target.currentData()
        self.target.clear()
        self.target.addItem(PREDICTED, None)
        for i, name in enumerate(self.class_names):
            self.target.addItem(name, i)
        self.target.setCurrentIndex(max(self.target.findData(keep), 0))

    def set_layers(self, node_ids: Sequence[str]) -> None:
        """The convolutions in network order; the last one is the default."""
        current = [self.layer.itemData(i) for i in range(self.layer.count())]
        if list(node_ids) == current:
            return
        keep = self.layer.currentData()
        self.layer.clear()
        for node_id in node_ids:
            self.layer.addItem(node_id, node_id)
        index = self.layer.findData(keep)
        self.layer.setCurrentIndex(index if index >= 0 else self.layer.count() - 1)
        self._enable_layer()

    def request(self, sample: int) -> dict[str, object]:
        """The fields of an attribution request for validation sample ``sample``."""
        method = str(self.method.currentData())
        return {
            "sample": sample,
            "method": method,
            "target": self.target.currentData(),
            "node": self.layer.currentData() if method == "gradcam" else None,
        }

    # ---- data in ---------------------------------------------------------------------------
    def set_sample(self, sample: int, image: Sample) -> None:
        """Show a sample; its map follows with ``set_map`` (the same sample's keeps showing
        until then: a run asks again after each epoch)."""
        if sample != self.sample or self.map is None:
            self.map = None
            self.caption.setText("Computing…")
        self.sample = sample
        self.image = to_display(image)
        self._draw()

    def set_map(self, found: AttributionMap) -> None:
        self.map = found
        if found.error:
            self.caption.setText(f"Cannot attribute: {found.error}")
        else:
            names = self.class_names
            name = names[found.target] if 0 <= found.target < len(names) else str(found.target)
            p = float(found.probabilities[found.target]) if found.probabilities.size else 0.0
            where = f" at {found.node}" if found.node else ""
            label = ATTRIBUTION_METHODS.get(found.method, found.method)
            self.caption.setText(f"{label}{where} for “{name}” ({100 * p:.1f} %)")
        self.caption.setToolTip(self.caption.text())
        self._draw()

    def say(self, text: str) -> None:
        """Why there is no map (no trained weights yet...)."""
        self.map = None
        self.caption.setText(text)
        self._draw()

    def clear(self) -> None:
        self.image = self.map = self.sample = None
        self.picture.clear()
        self.caption.setText("")

    # ---- drawing ---------------------------------------------------------------------------
    def _draw(self) -> None:
        if self.image is None:
            self.picture.clear()
            return
        heat = self.map.heat if self.map is not None and not self.map.error else None
        opacity = self.opacity.value() / 100.0
        self.picture.setPixmap(overlay_pixmap(self.image, heat, opacity, self.image_size))

    def _picked(self) -> None:
        self._enable_layer()
        self.changed.emit()

    def _enable_layer(self) -> None:
        self.layer.setEnabled(self.method.currentData() == "gradcam" and self.layer.count() > 0)
