"""The Keyboard Shortcuts sheet, generated from the window's actions and the canvas's key tables.

Nothing is typed twice: an action's text and keys are read from the ``QAction`` itself when the
sheet opens (so a shortcut added later, or by the training dashboard, appears by itself), and the
keys the canvas handles outside actions come from the tables declared next to that handling.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.view import GraphView

CANVAS_GROUP = "Canvas"
OTHER_GROUP = "Other"  # actions with a shortcut that sit in no menu (Train, Stop Training)


@dataclass(frozen=True)
class Shortcut:
    group: str
    text: str
    keys: str


def _plain(text: str) -> str:
    """A menu text as shown: mnemonics (``&Save``) dropped, a literal ``&&`` kept as ``&``."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _menu_of_each_action(window: QMainWindow) -> dict[QAction, str]:
    """Each action in the menu bar (submenus included) with the title of its top-level menu."""
    found: dict[QAction, str] = {}

    def walk(menu: QMenu, title: str) -> None:
        for action in menu.actions():
            found.setdefault(action, title)
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu, title)

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, _plain(top.text()))
    return found


def collect_shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action of ``window`` that has a shortcut, in menu-bar order, then the canvas keys,
    then the actions that are in no menu."""
    menus = _menu_of_each_action(window)
    order = [_plain(top.text()) for top in window.menuBar().actions()]
    entries = []
    for action in window.findChildren(QAction):
        keys = [k for k in action.shortcuts() if _on_a_keyboard(k)]
        if not keys:
            continue
        text = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        entries.append(Shortcut(menus.get(action, OTHER_GROUP), _plain(action.text()), text))
    groups = [*order, CANVAS_GROUP, OTHER_GROUP]
    entries.sort(key=lambda s: groups.index(s.group))  # stable: menus keep creation order
    canvas = [Shortcut(CANVAS_GROUP, text, keys) for keys, text in _canvas_keys()]
    at = next((i for i, s in enumerate(entries) if s.group == OTHER_GROUP), len(entries))
    return entries[:at] + canvas + entries[at:]


def _on_a_keyboard(keys: QKeySequence) -> bool:
    """False for the media-keyboard keys that standard bindings add (Open, Save, Copy...)."""
    combinations = [keys[i] for i in range(keys.count())]  # type: ignore[index]  # not in the stubs
    return all(c.key().value < Qt.Key.Key_Back.value for c in combinations)


def _canvas_keys() -> tuple[tuple[str, str], ...]:
    return GraphView.HANDLED_KEYS + GraphScene.HANDLED_KEYS


class ShortcutSheet(QDialog):
    """A searchable list of every shortcut, grouped by menu; rebuilt each time it opens."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcutSheet")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(520, 600)
        self._window = window
        self._rows: dict[QTreeWidgetItem, list[QTreeWidgetItem]] = {}  # group -> its rows
        self.filter = QLineEdit()
        self.filter.setObjectName("shortcutFilter")
        self.filter.setPlaceholderText("Search shortcuts…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutTree")
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._apply_filter)

    def showEvent(self, event: QShowEvent) -> None:
        self.rebuild()
        super().showEvent(event)

    def rebuild(self) -> None:
        self.tree.clear()
        self._rows.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for shortcut in collect_shortcuts(self._window):
            group = groups.get(shortcut.group)
            if group is None:
                group = QTreeWidgetItem(self.tree, [shortcut.group])
                group.setFirstColumnSpanned(True)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                groups[shortcut.group] = group
                self._rows[group] = []
            self._rows[group].append(QTreeWidgetItem(group, [shortcut.text, shortcut.keys]))
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self._apply_filter(self.filter.text())

    def shown_rows(self) -> list[tuple[str, str, str]]:
        """(group, action, keys) of every row the filter leaves visible."""
        return [
            (group.text(0), row.text(0), row.text(1))
            for group, rows in self._rows.items()
            for row in rows
            if not row.isHidden()
        ]

    def _apply_filter(self, text: str) -> None:
        """Keep the rows whose action, keys or group contain every word typed."""
        words = text.lower().split()
        for group, rows in self._rows.items():
            for row in rows:
                haystack = f"{group.text(0)} {row.text(0)} {row.text(1)}".lower()
                row.setHidden(not all(w in haystack for w in words))
            group.setHidden(all(row.isHidden() for row in rows))
