"""What every item of one scene draws with: the colours of the current style and font metrics.

Items keep a reference to their scene's ``Look``; switching the style swaps ``paints`` here and
repaints, without touching the items one by one. Text measurements are memoised: in a large
network the same ids, types and shapes recur, and measuring text dominates building a node.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainterPath

from cnnstudio.gui.editor.style import CanvasStyle, Paints

WIRE_HIT = 12.0  # scene pixels: a wire's clickable band at 100 % zoom
WIRE_HIT_PX = 10.0  # screen pixels the band keeps at least when zoomed out


class Look:
    def __init__(self, style: CanvasStyle, font: QFont) -> None:
        self.paints = Paints(style)
        self.title_font = QFont(font)
        self.title_font.setBold(True)
        self.body_font = QFont(font)
        self.small_font = QFont(font)
        if font.pointSizeF() > 0:
            self.small_font.setPointSizeF(font.pointSizeF() * 0.88)
        else:
            self.small_font.setPixelSize(max(8, round(font.pixelSize() * 0.88)))
        self.title_metrics = QFontMetricsF(self.title_font)
        self.body_metrics = QFontMetricsF(self.body_font)
        self.small_metrics = QFontMetricsF(self.small_font)
        self._metrics = {
            "title": self.title_metrics,
            "body": self.body_metrics,
            "small": self.small_metrics,
        }
        self._advances: dict[tuple[str, str], float] = {}
        self._elided: dict[tuple[str, str, float], str] = {}
        self._headers: dict[tuple[float, float, float], QPainterPath] = {}
        self._overview: dict[tuple[int, bool], tuple[QFont, QFontMetricsF]] = {}
        self.pad = 9.0
        self.wire_hit = WIRE_HIT  # width of a wire's clickable band; wider when zoomed out
        self.header_height = round(self.title_metrics.height() + 9)
        self.line_height = round(self.body_metrics.height() + 4)

    def set_view_scale(self, scale: float) -> bool:
        """Widen wires' clickable band as the view zooms out; True if it changed."""
        hit = max(WIRE_HIT, float(round(WIRE_HIT_PX / scale)))
        changed, self.wire_hit = hit != self.wire_hit, hit
        return changed

    def body_height(self, rows: int) -> float:
        """Height under the header of a node with ``rows`` lines of text."""
        return rows * self.line_height + 8

    def advance(self, font: str, text: str) -> float:
        """Width of ``text`` in the ``title``, ``body`` or ``small`` font."""
        key = (font, text)
        width = self._advances.get(key)
        if width is None:
            width = self._advances[key] = self._metrics[font].horizontalAdvance(text)
        return width

    def elide(self, font: str, text: str, width: float) -> str:
        """``text`` cut to ``width`` with an ellipsis, if it does not fit."""
        if self.advance(font, text) <= width:
            return text
        key = (font, text, width)
        short = self._elided.get(key)
        if short is None:
            metrics = self._metrics[font]
            short = self._elided[key] = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
        return short

    def header_path(self, rect: QRectF, radius: float) -> QPainterPath:
        """The top band of a rounded node rectangle (shared by nodes of equal size)."""
        key = (rect.width(), rect.height(), radius)
        path = self._headers.get(key)
        if path is None:
            body = QPainterPath()
            body.addRoundedRect(QRectF(0, 0, rect.width(), rect.height()), radius, radius)
            band = QPainterPath()
            band.addRect(QRectF(0, 0, rect.width(), self.header_height))
            path = self._headers[key] = body.intersected(band)
        return path.translated(rect.topLeft())

    def overview_font(self, size: float, bold: bool = True) -> tuple[QFont, QFontMetricsF]:
        """A font ``size`` scene pixels high (whole pixels, so few variants are made)."""
        key = (max(1, round(size)), bold)
        found = self._overview.get(key)
        if found is None:
            font = QFont(self.title_font if bold else self.body_font)
            font.setPixelSize(key[0])
            found = self._overview[key] = (font, QFontMetricsF(font))
        return found
