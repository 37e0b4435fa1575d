"""Wires: a bezier curve from a node's output to an input port, selectable and deletable.

Paths live in scene coordinates and are rebuilt only when one of the two attached nodes moves
or changes its ports; the wider hit shape is computed lazily, when Qt first asks for it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from cnnstudio.core.graph import Edge
from cnnstudio.gui.editor.node_item import NodeItem

BACK_LANE_DROP = 60.0  # a backward wire between blocks side by side runs this far below them
LANE_CLEARANCE = 24.0  # ... and this far below the lower block's edge when the blocks are known
LANE_REACH = 80.0  # how far left and right of its ends a backward wire's turns reach
MIN_GAP = 16.0  # the narrowest gap between blocks a backward wire runs through


def wire_path(start: QPointF, end: QPointF, lane: float | None = None) -> QPainterPath:
    """A horizontal-tangent S curve from an output to an input.

    A wire running backwards (into a block left of its source, as between the wrapped rows of
    an auto-layout) turns out of its source, runs back along the horizontal ``lane`` (a y clear
    of both blocks; by default under both ends) and turns into its target, so it never cuts
    through the blocks between.
    """
    dx = end.x() - start.x()
    path = QPainterPath(start)
    if dx >= 0:
        reach = max(dx * 0.5, 40.0)
        path.cubicTo(start + QPointF(reach, 0), end - QPointF(reach, 0), end)
        return path
    y = max(start.y(), end.y()) + BACK_LANE_DROP if lane is None else lane
    out = min(max(abs(y - start.y()) * 0.9, 24.0), 80.0)
    back = min(max(abs(y - end.y()) * 0.9, 24.0), 80.0)
    path.cubicTo(start + QPointF(out, 0), QPointF(start.x() + out, y), QPointF(start.x(), y))
    path.lineTo(end.x(), y)
    path.cubicTo(QPointF(end.x() - back, y), end - QPointF(back, 0), end)
    return path


class EdgeItem(QGraphicsItem):
    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.highlighted = False
        self._hover = False
        self._path = QPainterPath()
        self._ends = (QPointF(), QPointF())
        self._shape: QPainterPath | None = None
        self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        self.update_path()

    def update_path(self) -> None:
        start = self.source.output_anchor()
        end = self.target.input_anchor(self.edge.target_port)
        path = wire_path(start, end, self._lane() if end.x() < start.x() else None)
        self.prepareGeometryChange()
        self._path = path
        self._ends = (start, end)
        self._shape = None
        reach = self.source.look.wire_hit
        self._bounds = path.controlPointRect().adjusted(-reach, -reach, reach, reach)

    def _lane(self) -> float:
        """Where a backward wire runs: the middle of the widest gap between the blocks around
        it (between two wrapped rows), or under both ends when they stand side by side."""
        a, b = self.source.sceneBoundingRect(), self.target.sceneBoundingRect()
        top, bottom = sorted((a.center().y(), b.center().y()))
        area = QRectF(QPointF(b.left() - LANE_REACH, top), QPointF(a.right() + LANE_REACH, bottom))
        scene = self.scene()
        around = [i for i in scene.items(area) if isinstance(i, NodeItem)] if scene else []
        spans = sorted(
            (r.top(), r.bottom()) for r in [a, b, *(i.sceneBoundingRect() for i in around)]
        )
        best, y = (0.0, 0.0), top
        for span_top, span_bottom in spans:
            if min(span_top, bottom) - y > best[1] - best[0]:
                best = (y, min(span_top, bottom))
            y = max(y, span_bottom)
        if best[1] - best[0] < MIN_GAP:
            return max(a.bottom(), b.bottom()) + LANE_CLEARANCE
        return (best[0] + best[1]) / 2

    def path(self) -> QPainterPath:
        """The wire's curve in scene coordinates."""
        return self._path

    def ends(self) -> tuple[QPointF, QPointF]:
        """Where the wire leaves its source and enters its target, in scene coordinates."""
        return self._ends

    def set_highlighted(self, on: bool) -> None:
        """Marks the wire a dragged node would be inserted into."""
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(self.source.look.wire_hit)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        paints = self.source.look.paints
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        active = self.isSelected() or self.highlighted or self._hover
        painter.setPen(paints.wire_selected if active else paints.wire)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()


class WirePreview(QGraphicsPathItem):
    """The dashed wire that follows the mouse while connecting."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(3)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.setPath(wire_path(start, end))
