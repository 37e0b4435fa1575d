"""The architecture diff drawn over the canvas: scene items driven by the document's comparison.

The graph is never touched. Added and changed blocks get a coloured frame over them (green;
amber, with old -> new values on hover); a removed block is a ghosted red box at its old place,
no part of the network (no ports, not selectable: clicks fall through to the canvas); wires
likewise, removed ones dashed. The document holds the comparison and drops it on any edit, undo
or Esc, and the overlay follows.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsSimpleTextItem

from cnnstudio.core.diff import Comparison, change_texts
from cnnstudio.core.graph import Edge, GraphModel
from cnnstudio.gui.editor.edge_item import wire_path
from cnnstudio.gui.editor.node_item import WIDTH
from cnnstudio.gui.editor.style import CanvasStyle

if TYPE_CHECKING:
    from cnnstudio.gui.editor.scene import GraphScene

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
Z_MARKS = 50.0  # above blocks (1) and wires (-1)
FRAME_MARGIN = 5.0
GHOST_HEIGHT = 48.0
GHOST_OPACITY = 0.6
FILL_ALPHA = 45  # of 255: the block under a frame stays readable
WIRE_HIT = 10.0  # hover band of a marked wire, for its tooltip


class DiffMark(QGraphicsPathItem):
    """One overlay shape: ``kind`` is added, removed or changed; ``node`` or ``edge`` what it
    marks (ids of the new network, or of the old one for removed things)."""

    def __init__(
        self,
        kind: str,
        path: QPainterPath,
        color: str,
        tooltip: str,
        *,
        node: str | None = None,
        edge: Edge | None = None,
    ) -> None:
        super().__init__(path)
        self.kind, self.node, self.edge = kind, node, edge
        pen = QPen(QColor(color), 3 if edge is None else 4)
        if kind == REMOVED:
            pen.setStyle(Qt.PenStyle.DashLine)
            self.setOpacity(GHOST_OPACITY)
        self.setPen(pen)
        if edge is None:
            fill = QColor(color)
            fill.setAlpha(FILL_ALPHA)
            self.setBrush(QBrush(fill))
        self.setToolTip(tooltip)
        self.setZValue(Z_MARKS)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    @property
    def color(self) -> QColor:
        return self.pen().color()

    def shape(self) -> QPainterPath:
        if self.edge is None:
            return super().shape()
        stroker = QPainterPathStroker()
        stroker.setWidth(WIRE_HIT)
        return stroker.createStroke(self.path())


class DiffOverlay(QObject):
    """Draws ``scene.document.comparison`` over ``scene`` and centres a chosen change.

    It holds its scene weakly: a cycle would leave a scene without a parent to Python's cycle
    collector, which frees Qt objects at any moment (and crashed the GUI tests doing so).
    """

    def __init__(self, scene: GraphScene) -> None:
        super().__init__(scene)
        self._scene = weakref.ref(scene)
        self.marks: list[DiffMark] = []
        self._ghosts: dict[str, QRectF] = {}  # removed node (old id) -> its box
        scene.document.comparison_changed.connect(self.redraw)
        scene.document.change_chosen.connect(self.show_change)

    @property
    def scene(self) -> GraphScene:
        scene = self._scene()
        assert scene is not None, "the overlay lives only as long as its scene"
        return scene

    def detach(self) -> None:
        self.scene.document.comparison_changed.disconnect(self.redraw)
        self.scene.document.change_chosen.disconnect(self.show_change)

    @property
    def active(self) -> bool:
        return bool(self.marks)

    def redraw(self) -> None:
        for mark in self.marks:
            self.scene.removeItem(mark)
        self.marks, self._ghosts = [], {}
        comparison = self.scene.document.comparison
        if comparison is not None:
            self._draw(comparison, self.scene.look.paints.style)

    def _draw(self, c: Comparison, style: CanvasStyle) -> None:
        d = c.diff
        for old_id in d.removed:
            node = c.old.node(old_id)
            box = _box(node.position)
            self._ghosts[old_id] = box
            mark = self._add(
                DiffMark(
                    REMOVED,
                    _rounded(box),
                    style.diff_removed,
                    f"Removed: {old_id} ({node.type}), only in {c.old_name}",
                    node=old_id,
                )
            )
            label = QGraphicsSimpleTextItem(f"{old_id}\n{node.type}", mark)
            label.setBrush(QColor(style.text))
            label.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            label.setPos(box.topLeft() + QPointF(FRAME_MARGIN + 4, FRAME_MARGIN + 2))
        for new_id in d.added:
            node = c.new.node(new_id)
            self._add(
                DiffMark(
                    ADDED,
                    _rounded(self._rect(new_id, c.new)),
                    style.diff_added,
                    f"Added: {new_id} ({node.type}), not in {c.old_name}",
                    node=new_id,
                )
            )
        for change in d.changed:
            node = c.new.node(change.node)
            lines = "\n".join(change_texts(change))
            self._add(
                DiffMark(
                    CHANGED,
                    _rounded(self._rect(change.node, c.new)),
                    style.diff_changed,
                    f"Changed: {change.node} ({node.type}), {c.old_name} -> {c.new_name}\n{lines}",
                    node=change.node,
                )
            )
        for edge in d.edges_added:
            path = self._wire(edge, c, old=False)
            text = f"Added wire {edge.source} -> {edge.target}:{edge.target_port}"
            self._add(DiffMark(ADDED, path, style.diff_added, text, edge=edge))
        for edge in d.edges_removed:
            path = self._wire(edge, c, old=True)
            text = f"Removed wire {edge.source} -> {edge.target}:{edge.target_port}"
            self._add(DiffMark(REMOVED, path, style.diff_removed, text, edge=edge))

    def _add(self, mark: DiffMark) -> DiffMark:
        self.scene.addItem(mark)
        self.marks.append(mark)
        return mark

    def _on_canvas(self, node_id: str) -> bool:
        return node_id in self.scene.graph

    def _rect(self, node_id: str, graph: GraphModel) -> QRectF:
        """The block's box on the canvas (a little larger), or where ``graph`` places it."""
        if self._on_canvas(node_id):
            return (
                self.scene.node_item(node_id)
                .sceneBoundingRect()
                .adjusted(-FRAME_MARGIN, -FRAME_MARGIN, FRAME_MARGIN, FRAME_MARGIN)
            )
        return _box(graph.node(node_id).position)

    def _ends(self, node_id: str, port: int | None, c: Comparison, old: bool) -> QPointF:
        """Where a marked wire leaves (``port`` None) or enters a node, named in the old network
        when ``old``: its ghost, its block on the canvas, or its place in that network."""
        if old and node_id in self._ghosts:
            box = self._ghosts[node_id]
            return QPointF(box.right() if port is None else box.left(), box.center().y())
        shown = c.diff.matches.get(node_id, node_id) if old else node_id
        if self._on_canvas(shown):
            item = self.scene.node_item(shown)
            return item.output_anchor() if port is None else item.input_anchor(port)
        box = _box((c.old if old else c.new).node(node_id).position)
        return QPointF(box.right() if port is None else box.left(), box.center().y())

    def _wire(self, edge: Edge, c: Comparison, old: bool) -> QPainterPath:
        start = self._ends(edge.source, None, c, old)
        end = self._ends(edge.target, edge.target_port, c, old)
        return wire_path(start, end)

    def mark_of(self, node_id: str, in_old: bool) -> DiffMark | None:
        """The overlay shape of a node (a removed one's ghost when ``in_old``)."""
        kinds = (REMOVED,) if in_old else (ADDED, CHANGED)
        return next((m for m in self.marks if m.node == node_id and m.kind in kinds), None)

    def show_change(self, node_id: str, in_old: bool) -> None:
        """Select the node a listed change names and centre the views on it (or its ghost)."""
        c = self.scene.document.comparison
        if c is None:
            return
        if in_old and node_id in self._ghosts:
            self.scene.clearSelection()  # a ghost is no block: nothing to select
            centre = self._ghosts[node_id].center()
        else:
            shown = c.diff.matches.get(node_id) if in_old else node_id
            if shown is None or not self._on_canvas(shown):
                return
            self.scene.select_nodes([shown])
            centre = self.scene.node_item(shown).sceneBoundingRect().center()
        for view in self.scene.views():
            view.centerOn(centre)


def _box(position: tuple[float, float]) -> QRectF:
    """A block's box around its centre (``position``), for blocks not on the canvas."""
    x, y = position
    return QRectF(
        x - WIDTH / 2 - FRAME_MARGIN,
        y - GHOST_HEIGHT / 2 - FRAME_MARGIN,
        WIDTH + 2 * FRAME_MARGIN,
        GHOST_HEIGHT + 2 * FRAME_MARGIN,
    )


def _rounded(rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, 8, 8)
    return path
