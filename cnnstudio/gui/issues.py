"""The issues list: every problem the analysis found, errors first; a click shows the node."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from cnnstudio.core.analysis import Analysis
from cnnstudio.gui import theme

NODE_ROLE = Qt.ItemDataRole.UserRole


class IssuesList(QListWidget):
    """Emits ``node_chosen(id)`` when the user clicks (or presses Enter on) an issue of a node."""

    node_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issuesList")
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.itemClicked.connect(self._chosen)
        self.itemActivated.connect(self._chosen)

    def set_analysis(self, analysis: Analysis) -> None:
        self.clear()
        for issue in analysis.errors + analysis.warnings:
            item = QListWidgetItem(theme.icon(issue.severity), issue.message)
            item.setData(NODE_ROLE, issue.node)
            item.setToolTip(issue.message)
            self.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.node_chosen.emit(node)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say so instead of showing an empty box
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            rect: QRect = self.viewport().rect().adjusted(8, 8, -8, -8)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "No problems found.")
            painter.end()
