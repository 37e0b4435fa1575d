"""Canvas colours in one small object, so the window's light/dark theme can swap them at once.

``CanvasStyle`` holds plain ``#rrggbb`` strings (easy to read, compare and write in a theme);
``Paints`` turns one style into the pens, brushes and colours the items draw with, built once
per style instead of once per paint call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen

from cnnstudio.core.blocks import CATEGORIES

GROUP_CATEGORY = "Group"  # the colour of group instances, beside the blocks' categories


@dataclass(frozen=True)
class CanvasStyle:
    background: str
    grid_minor: str
    grid_major: str
    node_fill: str
    node_border: str
    text: str
    muted_text: str
    port: str
    wire: str
    selection: str
    error: str
    valid_target: str
    categories: dict[str, str] = field(default_factory=dict)
    header_tint: float = 0.18  # share of the category colour in a node's header band
    diff_added: str = "#1f9d55"  # the architecture diff over the canvas
    diff_removed: str = "#dc3545"
    diff_changed: str = "#d08a00"

    def category_color(self, category: str) -> str:
        return self.categories.get(category, self.muted_text)


LIGHT = CanvasStyle(
    background="#f4f5f7",
    grid_minor="#eaecf0",
    grid_major="#dde1e7",
    node_fill="#ffffff",
    node_border="#c5cbd4",
    text="#1d2127",
    muted_text="#667080",
    port="#7b8597",
    wire="#8c96a8",
    selection="#2f74e8",
    error="#dc3545",
    valid_target="#1f9d55",
    categories={
        "Input/Output": "#6f4fd6",
        "Convolution": "#1a7fd4",
        "Pooling": "#0f9a8a",
        "Activation": "#e0901a",
        "Normalisation": "#c93f93",
        "Regularisation": "#7f7d8c",
        "Linear": "#3d5fd0",
        "Merge": "#d9532b",
        "Shape": "#6c7a8b",
        GROUP_CATEGORY: "#2a9d3f",
    },
)

DARK = CanvasStyle(
    background="#1d1f23",
    grid_minor="#23262a",
    grid_major="#2a2d33",
    node_fill="#2a2d33",
    node_border="#444a53",
    text="#e7e9ec",
    muted_text="#9aa2ad",
    port="#8d96a3",
    wire="#7a8391",
    selection="#5b9bff",
    error="#ff5f5f",
    valid_target="#3ccf7f",
    categories={
        "Input/Output": "#9b82f2",
        "Convolution": "#4ea4f0",
        "Pooling": "#2fc2ad",
        "Activation": "#f2aa3c",
        "Normalisation": "#e566b3",
        "Regularisation": "#a3a1b3",
        "Linear": "#7390f5",
        "Merge": "#f07850",
        "Shape": "#97a6b8",
        GROUP_CATEGORY: "#4cc36a",
    },
    header_tint=0.28,
    diff_added="#3ccf7f",
    diff_removed="#ff5f5f",
    diff_changed="#f2b33c",
)


def blend(base: QColor, over: QColor, share: float) -> QColor:
    """``over`` laid on ``base`` with opacity ``share`` (an opaque result caches well)."""
    keep = 1.0 - share
    return QColor.fromRgbF(
        base.redF() * keep + over.redF() * share,
        base.greenF() * keep + over.greenF() * share,
        base.blueF() * keep + over.blueF() * share,
    )


class Paints:
    """Pens and brushes derived from a style; items share one instance per scene."""

    def __init__(self, style: CanvasStyle) -> None:
        self.style = style
        c = QColor
        self.background = c(style.background)
        self.grid_minor = QPen(c(style.grid_minor), 0)
        self.grid_major = QPen(c(style.grid_major), 0)
        self.node_fill = QBrush(c(style.node_fill))
        self.node_border = QPen(c(style.node_border), 1)
        self.text = c(style.text)
        self.muted_text = c(style.muted_text)
        self.error = c(style.error)
        self.error_border = QPen(self.error, 2)
        self.selection = c(style.selection)
        self.selection_border = QPen(self.selection, 2)
        self.port = c(style.port)
        self.valid_target = c(style.valid_target)
        self.wire = QPen(c(style.wire), 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self.wire_selected = QPen(self.selection, 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self.wire_preview = QPen(self.selection, 2, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        self.wire_refused = QPen(self.error, 2, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        fill = c(style.node_fill)
        self.category: dict[str, QColor] = {}
        self.header: dict[str, QBrush] = {}
        for name in (*CATEGORIES, GROUP_CATEGORY):
            accent = c(style.category_color(name))
            self.category[name] = accent
            self.header[name] = QBrush(blend(fill, accent, style.header_tint))
