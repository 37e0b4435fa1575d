"""Live pictures inside the canvas's convolution, pooling and group nodes.

Each such node shows its strongest feature map (the channel with the largest mean activation)
for the probe sample, coloured like the feature-map view. The pictures go to the document,
whose canvas draws them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtGui import QImage

from cnnstudio.core.blocks import get_spec
from cnnstudio.gui.document import Document
from cnnstudio.gui.plots.images import qimage
from cnnstudio.gui.plots.mosaic import colour, scale_unit, strongest_map
from cnnstudio.gui.plots.style import ACTIVATION_MAP, lookup_table
from cnnstudio.train.callbacks import Features

CATEGORIES = ("Convolution", "Pooling")


class CanvasThumbnails:
    """Gives the current document's nodes their pictures; ``enabled`` False removes them."""

    def __init__(self, document: Callable[[], Document | None]) -> None:
        self._document = document
        self.enabled = True

    def update(self, features: Features) -> None:
        document = self._document()
        if document is None or not self.enabled:
            return
        graph = document.graph
        table = lookup_table(ACTIVATION_MAP)
        images: dict[str, QImage] = document.node_images
        for node_id, maps in features.activations.items():
            if maps.ndim != 3 or node_id not in graph:
                continue
            node = graph.node(node_id)
            if not node.is_group and get_spec(node.type).category not in CATEGORIES:
                continue  # a collapsed group shows its output, like a block
            picture = colour(scale_unit(strongest_map(maps)[None], shared=False)[0], table)
            images[node_id] = qimage(np.ascontiguousarray(picture))
        document.set_node_images(images)

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        if not on:
            self.clear()

    def clear(self) -> None:
        document = self._document()
        if document is not None and document.node_images:
            document.set_node_images({})
