"""Inside a group: where its own ports are. Each of the group's inputs shows as a short dashed
wire coming into the inner port it feeds, named after the input (``conv1``); the block giving
the group's output shows one leaving its output port, named ``output``. Marks are children of
the node they sit on, so they move with it; they take no clicks."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnstudio.gui.editor.port_item import PortItem

STUB = 34.0  # length of the wire drawn from or to the group's edge
GAP = 4.0  # between the wire and its name


class BoundaryMark(QGraphicsItem):
    """One of the group's ports at ``port``: an input coming in, or the output leaving."""

    def __init__(self, port: PortItem, name: str) -> None:
        super().__init__(port.node)
        self.port, self.name = port, name
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(-1)  # under the node's own face
        side = "input" if port.is_input else "output"
        self.setToolTip(f"The group's {side} {name!r}" if port.is_input else "The group's output")

    def follow(self) -> None:
        """The port moved within its node (its ports were laid out again)."""
        self.prepareGeometryChange()

    def _line(self) -> QLineF:
        at = self.port.pos()
        if self.port.is_input:
            return QLineF(at - QPointF(STUB, 0), at)
        return QLineF(at, at + QPointF(STUB, 0))

    def _text_rect(self) -> QRectF:
        look = self.port.node.look
        width = look.small_metrics.horizontalAdvance(self.name)
        height = look.small_metrics.height()
        at = self.port.pos()  # the name ends (an input) or starts (the output) by its port
        left = at.x() - GAP - width if self.port.is_input else at.x() + GAP
        return QRectF(left, at.y() - GAP - height, width, height)

    def boundingRect(self) -> QRectF:
        line = self._line()
        return self._text_rect().united(QRectF(line.p1(), line.p2()).adjusted(-2, -2, 2, 2))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        paints = self.port.node.look.paints
        pen = QPen(paints.port, 2, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(self._line())
        painter.setPen(paints.muted_text)
        painter.setFont(self.port.node.look.small_font)
        painter.drawText(self._text_rect(), Qt.AlignmentFlag.AlignLeft, self.name)
