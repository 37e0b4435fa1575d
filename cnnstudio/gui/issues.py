"""The issues list: every problem the analysis found, errors first; a click shows the node."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from cnnstudio.core.analysis import Analysis, Issue
from cnnstudio.gui import theme

NODE_ROLE = Qt.ItemDataRole.UserRole  # the ids of the nodes a row is about
GROUP_FROM = 3  # this many warnings saying the same thing share a row
GROUP_NAMES = 4  # node ids a shared row names before "…"


def _what(issue: Issue) -> str:
    """A node issue's message without its ``id (Type): `` prefix."""
    prefix, sep, rest = issue.message.partition("): ")
    return rest if sep and issue.node and prefix.startswith(issue.node) else issue.message


def _where(issue: Issue) -> list[str]:
    """The node an issue is about; inside a group, its path (``layer1.0/conv2``), which the
    message starts with, so a click can show the block inside the group."""
    if not issue.node:
        return []
    head = issue.message.split(" (", 1)[0]
    inside = head.startswith((f"{issue.node}/", f"{issue.node}.")) and "/" in head
    return [head] if inside else [issue.node]


class IssuesList(QListWidget):
    """Emits ``node_chosen(id)`` when the user clicks (or presses Enter on) an issue of a node,
    ``nodes_chosen(ids)`` for a row that stands for several nodes.

    Warnings that say the same of several blocks (one missing wire leaves everything before it
    "not connected to the Output") share one row, so the list shows causes, not echoes.
    """

    node_chosen = Signal(str)
    nodes_chosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issuesList")
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows wrap
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.itemClicked.connect(self._chosen)
        self.itemActivated.connect(self._chosen)

    def set_analysis(self, analysis: Analysis) -> None:
        self.clear()
        for issue in analysis.errors:
            self._add(issue.severity, issue.message, _where(issue))
        groups: dict[str, list[Issue]] = {}
        for issue in analysis.warnings:
            groups.setdefault(_what(issue), []).append(issue)
        for what, issues in groups.items():
            if len(issues) < GROUP_FROM:
                for issue in issues:
                    self._add(issue.severity, issue.message, _where(issue))
                continue
            nodes = [i.node for i in issues if i.node]
            shown = ", ".join(nodes[:GROUP_NAMES]) + (", …" if len(nodes) > GROUP_NAMES else "")
            item = self._add("warning", f"{len(issues)} blocks: {what} ({shown})", nodes)
            item.setToolTip(f"{len(issues)} blocks: {what}\n" + "\n".join(nodes))

    def _add(self, severity: str, text: str, nodes: list[str]) -> QListWidgetItem:
        item = QListWidgetItem(theme.icon(severity), text)
        item.setData(NODE_ROLE, nodes)
        item.setToolTip(text)
        self.addItem(item)
        return item

    def _chosen(self, item: QListWidgetItem) -> None:
        nodes = item.data(NODE_ROLE) or []
        if len(nodes) == 1:
            self.node_chosen.emit(nodes[0])
        elif nodes:
            self.nodes_chosen.emit(nodes)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say so instead of showing an empty box
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            rect: QRect = self.viewport().rect().adjusted(8, 8, -8, -8)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "No problems found.")
            painter.end()
