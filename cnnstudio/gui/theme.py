"""Light and dark looks: a Fusion palette, one stylesheet template and recoloured SVG icons.

The stylesheet (``resources/styles/app.qss``) and the icons (``resources/icons``) name colours by
token (``@accent``, ``@fg``...); the theme fills them in, so both themes share every rule and glyph.
Sizes in the stylesheet are logical pixels, which Qt scales with the screen (200 % stays crisp).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from cnnstudio.core.shipped import resources_dir
from cnnstudio.gui.editor import style as canvas_style
from cnnstudio.gui.editor.style import CanvasStyle

ICON_SIZES = (16, 20, 24, 32, 40, 48, 64, 96)


@dataclass(frozen=True)
class Theme:
    name: str
    window: str  # dock and toolbar background
    base: str  # editors, lists
    alt_base: str
    fg: str  # text and icon strokes
    muted: str  # secondary text
    border: str
    hover: str
    accent: str
    accent_fg: str
    error: str
    warning: str
    ok: str
    tooltip: str
    canvas: CanvasStyle  # the node editor's colours, block categories included

    @property
    def dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme(
    name="light",
    window="#f3f4f6",
    base="#ffffff",
    alt_base="#f7f8fa",
    fg="#1f2328",
    muted="#5f6b7a",
    border="#d5d9e0",
    hover="#e7eaef",
    accent="#2f74e8",
    accent_fg="#ffffff",
    error="#dc3545",
    warning="#b7791f",
    ok="#1a7f37",
    tooltip="#ffffff",
    canvas=canvas_style.LIGHT,
)

DARK = Theme(
    name="dark",
    window="#1d2026",
    base="#15171b",
    alt_base="#1a1d22",
    fg="#e3e6ea",
    muted="#98a2b0",
    border="#343a44",
    hover="#2a2f37",
    accent="#4a8cf0",
    accent_fg="#ffffff",
    error="#ff5f5f",
    warning="#e0a526",
    ok="#3fb950",
    tooltip="#262a31",
    canvas=canvas_style.DARK,
)

THEMES = {t.name: t for t in (LIGHT, DARK)}
_current: list[Theme] = [LIGHT]


def current_theme() -> Theme:
    return _current[0]


def _fill(text: str, values: dict[str, str]) -> str:
    # Longest names first so ``@alt_base`` is not read as ``@alt`` + ``_base``.
    pattern = re.compile("@(" + "|".join(sorted(values, key=len, reverse=True)) + ")")
    return pattern.sub(lambda m: values[m.group(1)], text)


def stylesheet(theme: Theme) -> str:
    template = (resources_dir() / "styles" / "app.qss").read_text(encoding="utf-8")
    tokens = {
        f.name: getattr(theme, f.name) for f in fields(theme) if f.name not in ("name", "canvas")
    }
    tokens["resources"] = resources_dir().as_posix()
    return _fill(template, tokens)


def palette(theme: Theme) -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.fg,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.Text: theme.fg,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.ButtonText: theme.fg,
        QPalette.ColorRole.ToolTipBase: theme.tooltip,
        QPalette.ColorRole.ToolTipText: theme.fg,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: theme.accent_fg,
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Midlight: theme.hover,
        QPalette.ColorRole.Dark: theme.border,
        QPalette.ColorRole.Light: theme.base,
        QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.BrightText: theme.error,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    disabled = QColor(theme.muted)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


def apply_theme(app: QApplication, name: str) -> Theme:
    """Switch the whole application to theme ``name`` ('light' or 'dark')."""
    theme = THEMES[name]
    _current[0] = theme
    app.setStyle("Fusion")
    app.setPalette(palette(theme))
    app.setStyleSheet(stylesheet(theme))
    return theme


@cache
def _svg_icon(relative: str, colours: tuple[tuple[str, str], ...]) -> QIcon:
    svg = _fill((resources_dir() / "icons" / relative).read_text(encoding="utf-8"), dict(colours))
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    icon = QIcon()
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(QPixmap.fromImage(image))
    return icon


def icon(name: str) -> QIcon:
    """Action icon ``resources/icons/actions/<name>.svg`` drawn in the current theme's colours."""
    t = current_theme()
    colours = (("fg", t.fg), ("error", t.error), ("warning", t.warning), ("ok", t.ok))
    return _svg_icon(f"actions/{name}.svg", colours)


def category_icon(category: str) -> QIcon:
    """Block category badge (``resources/icons/categories/``) in the canvas's category colour."""
    file = category.lower().replace("/", "-")
    colour = current_theme().canvas.category_color(category)
    return _svg_icon(f"categories/{file}.svg", (("cat", colour),))


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / "app.svg"))
