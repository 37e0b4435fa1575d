"""The canvas's background grid: minor lines every GRID units, major lines every fifth.

Lines closer together on screen than MIN_GRID_PIXELS are left out, so zooming far out shows
the major grid only, then none, instead of a grey wash.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

from cnnstudio.gui.editor.style import Paints

GRID = 20.0
MAJOR_EVERY = 5
MIN_GRID_PIXELS = 12.0


def draw_grid(painter: QPainter, rect: QRectF, paints: Paints) -> None:
    painter.fillRect(rect, paints.background)
    scale = painter.worldTransform().m11()
    if GRID * MAJOR_EVERY * scale < MIN_GRID_PIXELS:
        return
    every = 1 if GRID * scale >= MIN_GRID_PIXELS else MAJOR_EVERY
    step = GRID * every
    minor: list[QLineF] = []
    major: list[QLineF] = []
    for i in range(math.floor(rect.left() / step), math.ceil(rect.right() / step) + 1):
        x = i * step
        line = QLineF(x, rect.top(), x, rect.bottom())
        (major if (i * every) % MAJOR_EVERY == 0 else minor).append(line)
    for i in range(math.floor(rect.top() / step), math.ceil(rect.bottom() / step) + 1):
        y = i * step
        line = QLineF(rect.left(), y, rect.right(), y)
        (major if (i * every) % MAJOR_EVERY == 0 else minor).append(line)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    for pen, lines in ((paints.grid_minor, minor), (paints.grid_major, major)):
        if lines:
            painter.setPen(pen)
            painter.drawLines(lines)
