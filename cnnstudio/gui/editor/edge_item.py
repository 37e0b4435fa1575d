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

HIT_WIDTH = 12.0


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent S curve; wires running backwards loop out wider so they stay visible."""
    dx = end.x() - start.x()
    reach = max(abs(dx) * 0.5, 40.0) if dx >= 0 else max(-dx * 0.35, 80.0)
    path = QPainterPath(start)
    path.cubicTo(start + QPointF(reach, 0), end - QPointF(reach, 0), end)
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
        self._shape: QPainterPath | None = None
        self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        self.update_path()

    def update_path(self) -> None:
        path = wire_path(
            self.source.output_anchor(), self.target.input_anchor(self.edge.target_port)
        )
        self.prepareGeometryChange()
        self._path = path
        self._shape = None
        self._bounds = path.controlPointRect().adjusted(
            -HIT_WIDTH, -HIT_WIDTH, HIT_WIDTH, HIT_WIDTH
        )

    def ends(self) -> tuple[QPointF, QPointF]:
        """Where the wire leaves its source and enters its target, in scene coordinates."""
        return self._path.pointAtPercent(0.0), self._path.pointAtPercent(1.0)

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
            stroker.setWidth(HIT_WIDTH)
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
