"""A node's connector: inputs on the left edge, the output on the right; wires start here.

A port is an invisible circle that takes the mouse; its node draws it (``draw``) as part of its
own cached picture, so a canvas with a thousand ports costs nothing extra to repaint.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
)

if TYPE_CHECKING:
    from cnnstudio.gui.editor.node_item import NodeItem
    from cnnstudio.gui.editor.scene import GraphScene

RADIUS = 4.5
HIT_RADIUS = 10.0  # generous, so a port is easy to grab at 100 % zoom
REACH = RADIUS + 5.5  # how far a drawn port (with its halo) extends from its centre
_FLAGS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
_LEFT = Qt.MouseButton.LeftButton


class PortMark(Enum):
    """How a port shows itself while a wire is being dragged."""

    NONE = 0
    VALID = 1  # the wire may end here
    TARGET = 2  # the wire would end here if released now
    REFUSED = 3  # the wire is over this port but may not end here


class PortItem(QGraphicsEllipseItem):
    def __init__(self, node: NodeItem, is_input: bool, index: int) -> None:
        super().__init__(-HIT_RADIUS, -HIT_RADIUS, 2 * HIT_RADIUS, 2 * HIT_RADIUS, node)
        self.node = node
        self.is_input = is_input
        self.index = index
        self.connected = False
        self.mark = PortMark.NONE
        self._hover = False
        self.setFlags(_FLAGS)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(_LEFT)

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.node.update()

    def set_mark(self, mark: PortMark) -> None:
        if mark != self.mark:
            self.mark = mark
            self.node.update()

    def draw(self, painter: QPainter) -> None:
        """Paint the port in its node's coordinates (called from the node's ``paint``)."""
        paints = self.node.look.paints
        color = {
            PortMark.NONE: paints.port,
            PortMark.VALID: paints.valid_target,
            PortMark.TARGET: paints.valid_target,
            PortMark.REFUSED: paints.error,
        }[self.mark]
        big = self._hover or self.mark in (PortMark.TARGET, PortMark.REFUSED)
        radius = RADIUS + (2.0 if big else 0.0)
        centre = self.pos()
        if self.mark is not PortMark.NONE:
            painter.setPen(QPen(color, 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, radius + 3, radius + 3)
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(QBrush(color) if self.connected else paints.node_fill)
        painter.drawEllipse(centre, radius, radius)

    # ---- wire dragging: the scene runs it, the port only reports the mouse -------------------
    def _scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._scene().begin_wire(self, event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._scene().drag_wire(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._scene().end_wire(event.scenePos())

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        if not self.hasCursor():
            self.setCursor(
                Qt.CursorShape.CrossCursor
            )  # set late: a cursor per port is slow to build
        self._hover = True
        self.node.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.node.update()
