"""A group instance on the canvas: a node whose inside is a project definition.

It reads like a block (id, shape, parameters) with its definition's name in the header, its
ports named in a row of their own, a stacked outline, and a ``xN`` badge when it repeats.
Expanded, a frame under it shows the definition's inner blocks and wires in miniature; the
frame is a child item, so it moves with the node and leaves the node's ports where wires expect.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnstudio.core.analysis import NodeInfo
from cnnstudio.core.blocks import get_spec
from cnnstudio.core.graph import Definition, Definitions, Node, Ports
from cnnstudio.gui.editor.look import Look
from cnnstudio.gui.editor.node_item import DETAIL_LOD, RADIUS, WIDTH, NodeItem
from cnnstudio.gui.editor.style import GROUP_CATEGORY

STACK_OFFSET = 4.0  # the outline drawn behind a group, so it reads as "several blocks"
MINI_SCALE = 0.45  # inner positions are shrunk this much in the expanded frame
MINI_HEIGHT = 26.0
FRAME_GAP = 8.0
FRAME_PAD = 10.0
TOGGLE_SIZE = QSizeF(28.0, 12.0)


class MiniNode(NamedTuple):
    id: str
    category: str
    position: tuple[float, float]


class GroupFace(NamedTuple):
    """What a group node shows of its definition and instance; compared to skip redraws."""

    definition: str
    repeat: int
    inputs: tuple[str, ...]
    output: str
    values: str  # the exposed parameters' values, "channels=64 stride=2"
    nodes: tuple[MiniNode, ...]
    edges: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, node: Node, definition: Definition) -> GroupFace:
        values = {**definition.defaults(), **node.params}
        inner = definition.graph
        return cls(
            definition.name,
            node.repeat,
            tuple(p.name for p in definition.inputs),
            definition.output,
            " ".join(f"{k}={_short(v)}" for k, v in values.items()),
            tuple(
                MiniNode(
                    n.id, GROUP_CATEGORY if n.is_group else get_spec(n.type).category, n.position
                )
                for n in inner
            ),
            tuple((e.source, e.target) for e in inner.edges),
        )


def free_definition_name(definitions: Definitions) -> str:
    """The name offered for a new group: ``Block1``, ``Block2``... the first one free."""
    i = 1
    while f"Block{i}" in definitions:
        i += 1
    return f"Block{i}"


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    return str(value)


class GroupItem(NodeItem):
    def __init__(
        self,
        node: Node,
        definition: Definition,
        look: Look,
        info: NodeInfo | None = None,
        expanded: bool = False,
    ) -> None:
        self.face = GroupFace.of(node, definition)  # read by the base class's hooks
        super().__init__(node.id, node.type, node.params, look, info)
        self.frame = GroupFrame(self)
        self.frame.setVisible(expanded)
        self._name_ports()

    # ---- hooks of NodeItem ------------------------------------------------------------------
    def _kind(self) -> tuple[Ports, str]:
        return Ports(len(self.face.inputs), False, 1), GROUP_CATEGORY

    def describe(self, params: dict[str, Any]) -> str:
        return self.face.values

    def help_text(self) -> str:
        n = len(self.face.nodes)
        return (
            f"Group {self.face.definition} of {n} block{'s' * (n != 1)}; double-click to enter it."
        )

    def type_label(self) -> str:
        return self.face.definition

    def detail_lines(self) -> list[str]:
        ports = f"{', '.join(self.face.inputs)} → {self.face.output}"
        return [*super().detail_lines(), ports]

    # ---- following the model ----------------------------------------------------------------
    @property
    def repeat(self) -> int:
        return self.face.repeat

    @property
    def expanded(self) -> bool:
        return self.frame.isVisible()

    def set_expanded(self, expanded: bool) -> None:
        self.frame.setVisible(expanded)
        self.update()  # the tab's triangle turns

    def set_group(self, node: Node, definition: Definition) -> None:
        """The instance or its definition changed: parameters, repeat, ports or inside."""
        face = GroupFace.of(node, definition)
        if face == self.face:
            return
        self.face = face
        self.ports = self._kind()[0]
        self._summary = self.describe(node.params)
        self.set_ports(self.ports.inputs, {p.index for p in self.inputs if p.connected})
        self._name_ports()
        self._relayout()
        self.frame.relayout()

    def _name_ports(self) -> None:
        for port, name in zip(self.inputs, self.face.inputs, strict=False):
            port.setToolTip(f"Input {port.index}: {name}")
        if self.output is not None:
            self.output.setToolTip(f"Output: {self.face.output}")

    def _tooltip(self) -> str:
        tip = super()._tooltip()
        if self.face.repeat > 1:
            tip += f"\nRepeated {self.face.repeat} times in sequence"
        return tip

    # ---- painting ---------------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        paints = self.look.paints
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(paints.node_border)
        painter.setBrush(paints.header[GROUP_CATEGORY])
        behind = self._rect.translated(STACK_OFFSET, STACK_OFFSET)
        painter.drawRoundedRect(behind, RADIUS, RADIUS)
        super().paint(painter, option, widget)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if self.face.repeat > 1 and lod >= DETAIL_LOD:
            self._paint_badge(painter)
        if lod >= DETAIL_LOD:
            self._paint_toggle(painter)

    def toggle_rect(self) -> QRectF:
        """The tab on the bottom edge that expands or collapses the group (item coordinates)."""
        return QRectF(-TOGGLE_SIZE.width() / 2, self._rect.bottom() - 5, *TOGGLE_SIZE.toTuple())

    def _paint_toggle(self, painter: QPainter) -> None:
        """A small tab with a triangle: pointing down when collapsed, up when expanded."""
        paints, rect = self.look.paints, self.toggle_rect()
        painter.setPen(paints.node_border)
        painter.setBrush(paints.header[GROUP_CATEGORY])
        painter.drawRoundedRect(rect, 4, 4)
        c, h = rect.center(), 3.0
        tip = 1 if not self.expanded else -1
        triangle = QPolygonF(
            [
                QPointF(c.x() - 2 * h, c.y() - tip * h),
                QPointF(c.x() + 2 * h, c.y() - tip * h),
                QPointF(c.x(), c.y() + tip * h),
            ]
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(paints.category[GROUP_CATEGORY])
        painter.drawPolygon(triangle)

    def shape(self) -> QPainterPath:
        tab = QPainterPath()
        tab.addRect(self.toggle_rect())
        # The tab takes clicks below the node's edge too; a union, since the odd-even fill of two
        # subpaths would leave out where the tab overlaps the node (its upper half).
        return super().shape().united(tab)

    def _paint_badge(self, painter: QPainter) -> None:
        """The ``xN`` pill on the top edge, right of centre, over the header band."""
        look, paints = self.look, self.look.paints
        text = f"x{self.face.repeat}"
        width = look.advance("small", text) + 10
        height = look.small_metrics.height() + 2
        rect = QRectF(self._rect.right() - width - 4, self._rect.top() - height / 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(paints.category[GROUP_CATEGORY])
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(paints.node_fill.color())
        painter.setFont(look.small_font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def boundingRect(self) -> QRectF:
        badge = self.look.small_metrics.height() / 2 + 2  # the xN pill sticks out above
        tab = TOGGLE_SIZE.height()  # and the expand tab below
        return super().boundingRect().adjusted(0, -badge, STACK_OFFSET, max(STACK_OFFSET, tab))


class GroupFrame(QGraphicsItem):
    """The expanded view of a group: its inner blocks and wires, shrunk, under the node."""

    def __init__(self, group: GroupItem) -> None:
        super().__init__(group)
        self.node = group
        self._rect = QRectF()
        self._places: dict[str, QRectF] = {}
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.relayout()

    @property
    def places(self) -> dict[str, QRectF]:
        """Where each inner block is drawn, in the group node's coordinates."""
        return dict(self._places)

    def relayout(self) -> None:
        face, look = self.node.face, self.node.look
        width = WIDTH * MINI_SCALE
        xs = [n.position[0] for n in face.nodes] or [0.0]
        ys = [n.position[1] for n in face.nodes] or [0.0]
        left, top = min(xs) * MINI_SCALE, min(ys) * MINI_SCALE
        inner_w = (max(xs) - min(xs)) * MINI_SCALE + width
        inner_h = (max(ys) - min(ys)) * MINI_SCALE + MINI_HEIGHT
        title = look.header_height
        frame_w = max(inner_w + 2 * FRAME_PAD, WIDTH)
        frame_h = inner_h + 2 * FRAME_PAD + title
        node_bottom = self.node.boundingRect().bottom()
        origin = QPointF(-frame_w / 2, node_bottom + FRAME_GAP)
        self.prepareGeometryChange()
        self._rect = QRectF(origin.x(), origin.y(), frame_w, frame_h)
        dx = origin.x() + (frame_w - inner_w) / 2 - left
        dy = origin.y() + title + FRAME_PAD - top
        self._places = {
            n.id: QRectF(
                n.position[0] * MINI_SCALE + dx,
                n.position[1] * MINI_SCALE + dy,
                width,
                MINI_HEIGHT,
            )
            for n in face.nodes
        }
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        face, look = self.node.face, self.node.look
        paints = look.paints
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = QPen(paints.category[GROUP_CATEGORY], 1.5, Qt.PenStyle.DashLine)
        painter.setPen(border)
        painter.setBrush(paints.background)
        painter.drawRoundedRect(self._rect, RADIUS, RADIUS)
        painter.setFont(look.small_font)
        painter.setPen(paints.muted_text)
        title = QRectF(self._rect.left() + 8, self._rect.top(), self._rect.width() - 16, 22)
        count = len(face.nodes)
        painter.drawText(
            title,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{face.definition}: {count} block{'s' * (count != 1)}",
        )
        painter.setPen(paints.wire)
        for source, target in face.edges:
            a, b = self._places.get(source), self._places.get(target)
            if a is not None and b is not None:
                painter.drawLine(
                    QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
                )
        for mini in face.nodes:
            rect = self._places[mini.id]
            painter.setPen(paints.node_border)
            painter.setBrush(paints.header[mini.category])
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(paints.text)
            text = look.elide("small", mini.id, rect.width() - 6)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
