"""Live pictures inside the canvas's convolution and pooling nodes.

Each such node shows its strongest feature map (the channel with the largest mean activation)
for the probe sample, coloured like the feature-map view.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnstudio.core.blocks import get_spec
from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.view import GraphView
from cnnstudio.gui.plots.images import qimage
from cnnstudio.gui.plots.mosaic import colour, scale_unit, strongest_map
from cnnstudio.gui.plots.style import ACTIVATION_MAP, lookup_table
from cnnstudio.train.callbacks import Features

CATEGORIES = ("Convolution", "Pooling")


class CanvasThumbnails:
    """Puts thumbnails on the current scene's nodes; ``enabled`` False removes them."""

    def __init__(self, scene: Callable[[], GraphScene | None]) -> None:
        self._scene = scene
        self.enabled = True
        self.shown: set[str] = set()

    @staticmethod
    def _eligible(scene: GraphScene, node_id: str) -> bool:
        graph = scene.graph
        return node_id in graph and get_spec(graph.node(node_id).type).category in CATEGORIES

    def update(self, features: Features) -> None:
        scene = self._scene()
        if scene is None or not self.enabled:
            return
        table = lookup_table(ACTIVATION_MAP)
        before = len(self.shown)
        for node_id, maps in features.activations.items():
            if maps.ndim != 3 or not self._eligible(scene, node_id):
                continue
            try:
                item = scene.node_item(node_id)
            except KeyError:
                continue
            picture = colour(scale_unit(strongest_map(maps)[None], shared=False)[0], table)
            item.set_thumbnail(qimage(np.ascontiguousarray(picture)))
            self.shown.add(node_id)
        if len(self.shown) != before:
            _nodes_resized(scene)

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        if not on:
            self.clear()

    def clear(self) -> None:
        scene = self._scene()
        if scene is not None:
            for node_id in self.shown:
                try:
                    scene.node_item(node_id).set_thumbnail(None)
                except KeyError:
                    continue
            if self.shown:
                _nodes_resized(scene)
        self.shown = set()


def _nodes_resized(scene: GraphScene) -> None:
    """Nodes grew or shrank by their thumbnails: a view showing the whole network refits."""
    for view in scene.views():
        if isinstance(view, GraphView):
            view.refit_if_following()
