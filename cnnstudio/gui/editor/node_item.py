"""A block on the canvas: id, type, key parameters, output shape and parameter count.

The item's origin is the node's centre (the model's ``position``), so rows of nodes line up
whatever their height and single-input chains get straight wires. Text is laid out once per
change (not per paint) and the item is cached as a device pixmap, so moving or repainting a
node is a blit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnstudio.core.analysis import NodeInfo
from cnnstudio.core.blocks import BlockSpec, get_spec
from cnnstudio.core.graph import Ports
from cnnstudio.gui.editor.look import Look
from cnnstudio.gui.editor.port_item import REACH, PortItem

if TYPE_CHECKING:
    from cnnstudio.gui.editor.edge_item import EdgeItem

WIDTH = 164.0
RADIUS = 7.0
PORT_SPACING = 18.0
THUMBNAIL_HEIGHT = 64.0
HEADER_GAP = 8.0  # between the id and the block type in the header
TYPE_MIN_WIDTH = 36.0  # narrower than this, the type is left out of the header
# Below DETAIL_LOD zoom the node's small text (under 8 screen pixels) is hard to read: it shows
# only its id and shape, in a font scaled up to OVERVIEW_TEXT_PX screen pixels (long ids down to
# OVERVIEW_MIN_PX); below OVERVIEW_LOD not even that.
DETAIL_LOD = 0.65
OVERVIEW_LOD = 0.15
OVERVIEW_TEXT_PX, OVERVIEW_MIN_PX = 11.0, 7.5
_POSITION_CHANGED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_FLAGS = (
    QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
)
_SELECTION_CHANGED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged


def format_count(n: int) -> str:
    """Parameter counts people can read at a glance: 156, 44.4k, 1.23M."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.3g}k"
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.3g}M"
    return f"{n / 1_000_000_000:.3g}G"


def format_shape(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "x".join(str(s) for s in shape)


class _Shown(NamedTuple):
    """What analysis contributes to a node's face; compared to skip redundant redraws."""

    status: str
    shape: str
    params: int
    macs: int
    message: str
    maths: str  # how the shape, params and MACs were derived, and the receptive field


def _shown(info: NodeInfo | None) -> _Shown:
    if info is None:
        return _Shown("unknown", "?", 0, 0, "", "")
    shape = format_shape(info.output_shape)
    return _Shown(info.status, shape, info.params, info.macs, info.message, info.maths())


class _Text(NamedTuple):
    font: QFont
    role: str  # "text", "muted" or "error": the colour is picked at paint time
    pos: QPointF
    text: str


class NodeItem(QGraphicsItem):
    def __init__(
        self,
        node_id: str,
        block_type: str,
        params: dict[str, Any],
        look: Look,
        info: NodeInfo | None = None,
    ) -> None:
        super().__init__()
        self.node_id = node_id
        self.block_type = block_type
        self.spec: BlockSpec | None = None
        self.ports, self.category = self._kind()
        self.look = look
        self.edges: set[EdgeItem] = set()
        self.inputs: list[PortItem] = []
        self.output: PortItem | None = None
        self._summary = self.describe(params)
        self._shown = _shown(info)
        self._thumbnail: QImage | None = None
        self._note = ""
        self._rect = QRectF()
        self._header = QPainterPath()
        self._texts: list[_Text] = []
        self.setFlags(_FLAGS)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        if self.ports.outputs:
            self.output = PortItem(self, False, 0)
        self._set_input_count(self.ports.inputs)
        self._relayout()

    def _kind(self) -> tuple[Ports, str]:
        """How the node is wired and which category colours it (a block's come from its spec)."""
        spec = self.spec = get_spec(self.block_type)
        return Ports(spec.inputs, spec.variadic, spec.outputs), spec.category

    def describe(self, params: dict[str, Any]) -> str:
        """The key parameters shown under the header."""
        assert self.spec is not None
        return self.spec.describe(params)

    def help_text(self) -> str:
        assert self.spec is not None
        return self.spec.help

    # ---- what the node shows ---------------------------------------------------------------
    @property
    def status(self) -> str:
        return self._shown.status

    @property
    def shape_text(self) -> str:
        """The output shape as shown, ``32x28x28`` or ``?``."""
        return self._shown.shape

    @property
    def summary(self) -> str:
        return self._summary

    def set_id(self, node_id: str) -> None:
        self.node_id = node_id
        self._relayout()

    def set_params(self, params: dict[str, Any]) -> None:
        summary = self.describe(params)
        if summary != self._summary:
            self._summary = summary
            self._relayout()

    def set_info(self, info: NodeInfo | None) -> None:
        shown = _shown(info)
        if shown != self._shown:
            self._shown = shown
            self._relayout()

    @property
    def thumbnail(self) -> QImage | None:
        return self._thumbnail

    def set_thumbnail(self, image: QImage | None) -> None:
        """Show a small picture (a live feature map) inside the node; ``None`` removes it."""
        new = None if image is None or image.isNull() else image
        grows = (new is None) != (self._thumbnail is None)
        self._thumbnail = new
        if grows:
            self._relayout()
        else:
            self.update()

    def set_note(self, note: str) -> None:
        """A line added to the tooltip (the live preview's activation statistics)."""
        if note != self._note:
            self._note = note
            self.setToolTip(self._tooltip())

    def set_ports(self, count: int, connected: set[int]) -> None:
        """Show ``count`` input ports and which are fed; merges grow a spare one this way."""
        grown = count != len(self.inputs)
        self._set_input_count(count)
        for port in self.inputs:
            port.set_connected(port.index in connected)
        if grown:
            self._relayout()
            self.update_wires()

    def _set_input_count(self, count: int) -> None:
        while len(self.inputs) > count:
            port = self.inputs.pop()
            scene = port.scene()
            if scene is not None:
                scene.removeItem(port)  # also takes it out of this node
        while len(self.inputs) < count:
            self.inputs.append(PortItem(self, True, len(self.inputs)))
        self._place_ports()

    # ---- geometry --------------------------------------------------------------------------
    def _height(self) -> float:
        text = self.look.body_height(len(self.detail_lines()) + 1)
        ports = len(self.inputs) * PORT_SPACING + 6
        thumbnail = THUMBNAIL_HEIGHT if self._thumbnail is not None else 0
        return self.look.header_height + max(text, ports) + thumbnail

    def _port_y(self) -> float:
        """Ports sit at the middle of the body (under the header), the same on every node."""
        return float(round(self.look.header_height / 2))  # whole pixels keep wires crisp

    def _shows_summary(self) -> bool:
        """Key parameters get their own row unless there are none (or they repeat the shape)."""
        return bool(self._summary) and self._summary != self.shape_text

    def detail_lines(self) -> list[str]:
        """The rows of text between the header and the shape row."""
        return [self._summary] if self._shows_summary() else []

    def type_label(self) -> str:
        """What the header names besides the id: the block type."""
        return self.block_type

    def _place_ports(self) -> None:
        for port in self.inputs:
            port.setPos(self._input_offset(port.index))
        if self.output is not None:
            self.output.setPos(WIDTH / 2, self._port_y())

    def _input_offset(self, port: int) -> QPointF:
        n = max(len(self.inputs), port + 1)
        return QPointF(-WIDTH / 2, self._port_y() + (port - (n - 1) / 2) * PORT_SPACING)

    def input_anchor(self, port: int) -> QPointF:
        """Scene point where a wire into ``port`` ends."""
        return self.pos() + self._input_offset(port)

    def output_anchor(self) -> QPointF:
        return self.pos() + QPointF(WIDTH / 2, self._port_y())

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-REACH, -4, REACH, 4)  # ports stick out left and right

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self._rect, RADIUS, RADIUS)
        return path

    def _relayout(self) -> None:
        """Recompute size and text positions; called on data changes only, never in paint."""
        height = self._height()
        rect = QRectF(-WIDTH / 2, -height / 2, WIDTH, height)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            self._header = self.look.header_path(rect, RADIUS)
            self.update_wires()
        look = self.look
        pad = look.pad
        left, right, top = rect.left() + pad, rect.right() - pad, rect.top()
        texts: list[_Text] = []
        # Header: id (bold) on the left, block type (small, muted) on the right. The id is the
        # block's name and comes first; the type takes the room left, if enough to be read
        # (it is also in the tooltip, the inspector and the category colour).
        tm, bm = look.title_metrics, look.body_metrics
        head_base = top + (look.header_height + tm.ascent() - tm.descent()) / 2
        room = right - left
        type_room = room - look.advance("title", self.node_id) - HEADER_GAP
        if type_room >= TYPE_MIN_WIDTH:
            type_text = look.elide("small", self.type_label(), type_room)
            type_w = look.advance("small", type_text)
            pos = QPointF(right - type_w, head_base)
            texts.append(_Text(look.small_font, "muted", pos, type_text))
        id_text = look.elide("title", self.node_id, room)
        texts.append(_Text(look.title_font, "text", QPointF(left, head_base), id_text))
        row = top + look.header_height + 4
        base = row + (look.line_height + bm.ascent() - bm.descent()) / 2
        for line in self.detail_lines():
            shown_line = look.elide("body", line, right - left)
            texts.append(_Text(look.body_font, "text", QPointF(left, base), shown_line))
            base += look.line_height
        shown = self._shown
        shape_role = {"ok": "text", "error": "error"}.get(shown.status, "muted")
        shape = look.elide("body", self.shape_text, (right - left) * 0.6)
        texts.append(_Text(look.body_font, shape_role, QPointF(left, base), shape))
        if shown.status == "ok" and shown.params:
            count = f"{format_count(shown.params)} params"
            width = look.advance("small", count)
            texts.append(_Text(look.small_font, "muted", QPointF(right - width, base), count))
        self._texts = texts
        tooltip = self._tooltip()
        if tooltip != self.toolTip():
            self.setToolTip(tooltip)
        self.update()

    def _tooltip(self) -> str:
        text = self._face_tooltip()
        return f"{text}\n{self._note}" if self._note else text

    def _face_tooltip(self) -> str:
        shown = self._shown
        head = f"{self.node_id} ({self.type_label()})"
        if shown.status == "error":
            return shown.message
        if shown.status == "unknown":
            return shown.message or f"{head}: output shape not known yet"
        text = (
            f"{head}\n{self.help_text()}\n"
            f"Output {self.shape_text} · {shown.params:,} parameters · {shown.macs:,} MACs"
        )
        return f"{text}\n\nHow this shape is computed:\n{shown.maths}" if shown.maths else text

    # ---- painting --------------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        look, paints = self.look, self.look.paints
        rect = self._rect
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        error = self._shown.status == "error"
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < DETAIL_LOD:
            self._paint_overview(painter, lod, error)
            return
        painter.setPen(paints.error_border if error else paints.node_border)
        painter.setBrush(paints.node_fill)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(paints.header[self.category])
        painter.drawPath(self._header)
        accent = paints.category[self.category]
        painter.setBrush(accent)
        painter.drawRoundedRect(
            QRectF(rect.left() + 3, rect.top() + 3, 3, look.header_height - 6), 1.5, 1.5
        )
        colors: dict[str, QColor] = {
            "text": paints.text,
            "muted": paints.muted_text,
            "error": paints.error,
        }
        for t in self._texts:
            painter.setFont(t.font)
            painter.setPen(colors[t.role])
            painter.drawText(t.pos, t.text)
        if self._thumbnail is not None:
            self._paint_thumbnail(painter)
        self._paint_outline(painter, error)
        self._paint_ports(painter)

    def _paint_ports(self, painter: QPainter) -> None:
        for port in self.inputs:
            port.draw(painter)
        if self.output is not None:
            self.output.draw(painter)

    def _paint_overview(self, painter: QPainter, lod: float, error: bool) -> None:
        """Zoomed far out: a tinted box with the id, large enough to read."""
        paints, rect = self.look.paints, self._rect
        painter.setPen(paints.error_border if error else paints.node_border)
        painter.setBrush(paints.header[self.category])
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        if lod >= OVERVIEW_LOD:
            room = WIDTH - 16
            size = min(OVERVIEW_TEXT_PX / lod, rect.height() * 0.6)
            font, metrics = self.look.overview_font(size)
            wide = metrics.horizontalAdvance(self.node_id)
            if wide > room:  # long ids shrink, down to a smallest readable size, then elide
                size = max(size * room / wide, OVERVIEW_MIN_PX / lod)
                font, metrics = self.look.overview_font(size)
            text = metrics.elidedText(self.node_id, Qt.TextElideMode.ElideRight, room)
            painter.setFont(font)
            painter.setPen(paints.error if error else paints.text)
            if rect.height() * lod < 2.4 * OVERVIEW_TEXT_PX:
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            else:  # room for the output shape under the id
                top, bottom = (
                    rect.adjusted(0, 0, 0, -rect.height() / 2),
                    rect.adjusted(0, rect.height() / 2, 0, 0),
                )
                painter.drawText(
                    top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, text
                )
                font, metrics = self.look.overview_font(size * 0.9, bold=False)
                shape = metrics.elidedText(self.shape_text, Qt.TextElideMode.ElideRight, room)
                painter.setFont(font)
                painter.setPen(paints.error if error else paints.muted_text)
                painter.drawText(
                    bottom, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, shape
                )
        self._paint_outline(painter, error)
        self._paint_ports(painter)  # still where wires start, when zoomed out

    def _paint_outline(self, painter: QPainter, error: bool) -> None:
        """The red error outline (over the header band) and the selection ring."""
        paints = self.look.paints
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if error:
            painter.setPen(paints.error_border)
            painter.drawRoundedRect(self._rect, RADIUS, RADIUS)
        if self.isSelected():
            painter.setPen(paints.selection_border)
            painter.drawRoundedRect(self._rect.adjusted(-3, -3, 3, 3), RADIUS + 3, RADIUS + 3)

    def _paint_thumbnail(self, painter: QPainter) -> None:
        assert self._thumbnail is not None
        pad = self.look.pad
        area = QRectF(
            self._rect.left() + pad,
            self._rect.bottom() - THUMBNAIL_HEIGHT,
            WIDTH - 2 * pad,
            THUMBNAIL_HEIGHT - pad,
        )
        img = self._thumbnail
        scale = min(area.width() / img.width(), area.height() / img.height())
        w, h = img.width() * scale, img.height() * scale
        target = QRectF(area.center().x() - w / 2, area.center().y() - h / 2, w, h)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(target, img)
        painter.setPen(QPen(self.look.paints.node_border.color(), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(target)

    def move_to(self, pos: QPointF) -> None:
        """Move and drag the wires along (the scene calls this; see ``GraphScene.mouseMoveEvent``
        for moves made by Qt itself)."""
        self.setPos(pos)
        self.update_wires()

    def update_wires(self) -> None:
        for edge in self.edges:
            edge.update_path()
