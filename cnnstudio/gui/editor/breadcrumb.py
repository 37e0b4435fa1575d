"""The path above the canvas while a group is entered: ``Network > layer1 (BasicBlock) > ...``.

Each crumb is a flat button; clicking one goes up to that level (``crumb_clicked(depth)``,
0 being the network itself). The bar hides itself at the top level, where there is no path.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

SEPARATOR = "\u203a"  # a small right angle quote


class Breadcrumb(QWidget):
    crumb_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 2, 6, 2)
        self._layout.setSpacing(2)
        self._crumbs: list[QToolButton] = []
        self.hide()

    @property
    def crumbs(self) -> list[QToolButton]:
        return list(self._crumbs)

    def set_path(self, names: list[str]) -> None:
        """Show ``names`` (the network's name first); the last crumb is where the canvas is."""
        while (item := self._layout.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        self._crumbs = []
        for depth, name in enumerate(names):
            if depth:
                self._layout.addWidget(QLabel(SEPARATOR))
            button = QToolButton()
            button.setObjectName(f"crumb_{depth}")
            button.setText(name)
            button.setAutoRaise(True)
            last = depth == len(names) - 1
            button.setEnabled(not last)
            button.setToolTip("You are here" if last else f"Go up to {name} (Esc goes up one)")
            button.clicked.connect(lambda _=False, d=depth: self.crumb_clicked.emit(d))
            self._layout.addWidget(button)
            self._crumbs.append(button)
        self._layout.addStretch(1)
        self.setVisible(len(names) > 1)
