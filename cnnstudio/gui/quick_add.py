"""Keyboard quick add (Shift+A, or Tab on the canvas): type a few letters, press Enter.

A popup at the mouse lists the blocks matching the search (by name first, then category and
help text); the window adds the chosen block wired after the selected block, as a double click
in the palette does, or where the mouse is when nothing is selected.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.blocks import BlockSpec, all_specs
from cnnstudio.gui import theme

BLOCK_ROLE = Qt.ItemDataRole.UserRole
HELP_ROLE = Qt.ItemDataRole.UserRole + 1


def rank(spec: BlockSpec, query: str) -> int | None:
    """Lower is better; None when some word of ``query`` matches nothing about the block."""
    words = query.lower().split()
    name = spec.type.lower()
    if not words:
        return 5
    if " ".join(words) == name:
        return 0
    score = 1
    for word in words:
        if name.startswith(word):
            continue
        if word in name:
            score = max(score, 2)
        elif word in spec.category.lower():
            score = max(score, 3)
        elif word in spec.help.lower():
            score = max(score, 4)
        else:
            return None
    return score


class QuickAdd(QFrame):
    """The popup; emits ``block_chosen(type)`` and closes."""

    block_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("quickAdd")
        self.search = QLineEdit()
        self.search.setObjectName("quickAddSearch")
        self.search.setPlaceholderText("Add block: type to search, Enter to add")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setObjectName("quickAddResults")
        self.results.setMinimumHeight(260)
        self.help = QLabel()
        self.help.setProperty("role", "muted")
        self.help.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(self.help)
        self.setMinimumWidth(320)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.search.returnPressed.connect(self._choose_current)
        self.results.itemActivated.connect(self._choose)
        self.results.itemClicked.connect(self._choose)
        self.results.currentItemChanged.connect(self._show_help)

    def popup(self, global_pos: QPoint) -> None:
        """Open at ``global_pos`` with an empty search and every block listed."""
        self.search.clear()
        self._filter("")
        self.adjustSize()
        screen = QGuiApplication.screenAt(global_pos) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        x = max(area.left(), min(global_pos.x(), area.right() - self.width()))
        y = max(area.top(), min(global_pos.y(), area.bottom() - self.height()))
        self.move(x, y)  # whole on screen, even with the mouse near an edge
        self.show()
        self.search.setFocus()

    def _filter(self, query: str) -> None:
        ranked = [(r, i, s) for i, s in enumerate(all_specs()) if (r := rank(s, query)) is not None]
        self.results.clear()
        for _, _, spec in sorted(ranked, key=lambda t: (t[0], t[1])):
            item = QListWidgetItem(theme.category_icon(spec.category), spec.type)
            item.setData(BLOCK_ROLE, spec.type)
            item.setData(HELP_ROLE, spec.help)
            item.setToolTip(f"{spec.category}: {spec.help}")
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)
        else:
            self.help.setText("No block matches.")

    def _show_help(self, item: QListWidgetItem | None) -> None:
        self.help.setText(item.data(HELP_ROLE) if item is not None else "")

    def _choose_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._choose(item)

    def _choose(self, item: QListWidgetItem) -> None:
        self.hide()
        self.block_chosen.emit(item.data(BLOCK_ROLE))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down/PageUp/PageDown in the search box move through the results."""
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
                Qt.Key.Key_PageUp,
                Qt.Key.Key_PageDown,
            ):
                self.results.keyPressEvent(event)
                return True
        return super().eventFilter(watched, event)
