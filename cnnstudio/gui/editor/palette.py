"""The block palette, generated from the block specs: grouped by category, filterable, draggable.

Above the blocks, "Project blocks" lists the open project's group definitions (while it has
any), following the document; dropping one on the canvas makes an instance of it.

Drags use Qt's model/view machinery, so ``view.model().mimeData(indexes)`` is exactly what the
canvas accepts on drop.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from cnnstudio.core.blocks import CATEGORIES, BlockSpec, all_specs
from cnnstudio.core.graph import Definition, Definitions
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.mime import (
    BLOCK_MIME_TYPE,
    DEFINITION_MIME_TYPE,
    block_mime_data,
    definition_mime_data,
)
from cnnstudio.gui.editor.model_links import ModelLinks
from cnnstudio.gui.editor.style import GROUP_CATEGORY, LIGHT, CanvasStyle

BLOCK_TYPE_ROLE = Qt.ItemDataRole.UserRole
_SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
_CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2
DEFINITION_ROLE = Qt.ItemDataRole.UserRole + 3
PROJECT_BLOCKS = "Project blocks"

_Index = QModelIndex | QPersistentModelIndex


def _swatch(color: str) -> QIcon:
    """A small rounded square in a category's colour (drawn at 2x for high-DPI screens)."""
    pixmap = QPixmap(28, 28)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(QRectF(2, 2, 10, 10), 3, 3)
    painter.end()
    return QIcon(pixmap)


def _tooltip(spec: BlockSpec) -> str:
    ports = "no input" if spec.inputs == 0 else f"{spec.inputs}{'+' if spec.variadic else ''} in"
    return f"<b>{spec.type}</b> <small>({spec.category}, {ports})</small><p>{spec.help}</p>"


def _category_row(text: str, category: str) -> QStandardItem:
    group = QStandardItem(text)
    group.setFlags(Qt.ItemFlag.ItemIsEnabled)
    bold = QFont()
    bold.setBold(True)
    group.setFont(bold)
    group.setData(category, _CATEGORY_ROLE)
    return group


class BlockListModel(QStandardItemModel):
    """Categories with their blocks; block rows carry the type in ``Qt.UserRole``."""

    def __init__(self, style: CanvasStyle = LIGHT) -> None:
        super().__init__()
        by_category: dict[str, list[BlockSpec]] = {}
        for spec in all_specs():
            by_category.setdefault(spec.category, []).append(spec)
        for category in CATEGORIES:
            specs = by_category.get(category, [])
            if not specs:
                continue
            group = _category_row(category, category)
            for spec in specs:
                item = QStandardItem(spec.type)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                item.setData(spec.type, BLOCK_TYPE_ROLE)
                item.setData(f"{spec.type} {spec.category}".lower(), _SEARCH_ROLE)
                item.setData(category, _CATEGORY_ROLE)
                item.setToolTip(_tooltip(spec))
                group.appendRow(item)
            self.appendRow(group)
        self.set_style(style)

    def set_style(self, style: CanvasStyle) -> None:
        for row in range(self.rowCount()):
            group = self.item(row)
            icon = _swatch(style.category_color(group.data(_CATEGORY_ROLE)))
            for child in range(group.rowCount()):
                group.child(child).setIcon(icon)

    def mimeTypes(self) -> list[str]:
        return [BLOCK_MIME_TYPE, DEFINITION_MIME_TYPE]

    def set_definitions(self, definitions: list[Definition], style: CanvasStyle) -> None:
        """Show ``definitions`` under "Project blocks" (first; none: the section goes)."""
        group = self.item(0)
        if group is not None and group.data(_CATEGORY_ROLE) == GROUP_CATEGORY:
            self.removeRow(0)
        if not definitions:
            return
        group = _category_row(PROJECT_BLOCKS, GROUP_CATEGORY)
        icon = _swatch(style.category_color(GROUP_CATEGORY))
        for definition in definitions:
            item = QStandardItem(icon, definition.name)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            item.setData(definition.name, DEFINITION_ROLE)
            item.setData(f"{definition.name} {PROJECT_BLOCKS} group".lower(), _SEARCH_ROLE)
            item.setData(GROUP_CATEGORY, _CATEGORY_ROLE)
            n = len(definition.graph)
            item.setToolTip(
                f"<b>{definition.name}</b> <small>(project block, {n} block{'s' * (n != 1)}, "
                f"{len(definition.inputs)} in)</small><p>Drag it onto the canvas to use it "
                "again; every use follows its definition.</p>"
            )
            group.appendRow(item)
        self.insertRow(0, group)

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        for index in indexes:
            block_type = index.data(BLOCK_TYPE_ROLE)
            if block_type:
                return block_mime_data(block_type)
            definition = index.data(DEFINITION_ROLE)
            if definition:
                return definition_mime_data(definition)
        return QMimeData()

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class _BlockFilter(QSortFilterProxyModel):
    """Keeps blocks whose type or category contains the filter text, and their categories;
    while filtering, the best matches come first (see ``_match``), the category holding the
    best one first too, so "output" lists Output above Input."""

    def __init__(self) -> None:
        super().__init__()
        self.setRecursiveFilteringEnabled(True)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self.sort(0 if self._needle else -1)  # -1: the categories' own order again

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._needle:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        text = index.data(_SEARCH_ROLE)
        return bool(text) and self._needle in text

    def lessThan(self, left: _Index, right: _Index) -> bool:
        return (self._rank(left), left.row()) < (self._rank(right), right.row())

    def _rank(self, index: _Index) -> int:
        block_type = index.data(BLOCK_TYPE_ROLE) or index.data(DEFINITION_ROLE)
        if block_type:
            return _match(block_type, self._needle)
        model = self.sourceModel()
        children = (model.index(r, 0, index) for r in range(model.rowCount(index)))
        return min(
            (self._rank(c) for c in children if self._needle in c.data(_SEARCH_ROLE)), default=4
        )


class BlockPalette(QWidget):
    block_activated = Signal(str)
    definition_activated = Signal(str)  # a project block: add an instance of it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("palette")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("paletteFilter")
        self.filter.setPlaceholderText("Filter blocks…")
        self.filter.setClearButtonEnabled(True)
        self.blocks = BlockListModel()
        self.proxy = _BlockFilter()
        self.proxy.setSourceModel(self.blocks)
        self.view = QTreeView(self)
        self.view.setObjectName("paletteTree")
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setUniformRowHeights(True)
        self.view.setIndentation(14)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.expandAll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)
        self.filter.textChanged.connect(self._on_filter)
        self.filter.returnPressed.connect(self._activate_first)
        self.view.activated.connect(self._on_activated)
        self._style = LIGHT
        self._definitions: Definitions | None = None
        self._links = ModelLinks(self)

    def set_style(self, style: CanvasStyle) -> None:
        self._style = style
        self.blocks.set_style(style)
        self._show_definitions()

    def set_document(self, document: Document) -> None:
        """List the project's group definitions under "Project blocks", following its edits."""
        self._links.unlink()
        self._definitions = definitions = document.graph.definitions
        for signal in (definitions.added, definitions.removed, definitions.renamed):
            self._links.connect(signal, self._show_definitions)
        self._show_definitions()

    def _show_definitions(self, *_: object) -> None:
        shown = list(self._definitions) if self._definitions is not None else []
        self.blocks.set_definitions(shown, self._style)
        self.view.expandAll()

    def definition_index(self, name: str) -> QModelIndex:
        """The view's index of project block ``name`` (invalid if not shown)."""
        for row in range(self.proxy.rowCount()):
            group = self.proxy.index(row, 0)
            for child in range(self.proxy.rowCount(group)):
                index = self.proxy.index(child, 0, group)
                if index.data(DEFINITION_ROLE) == name:
                    return index
        return QModelIndex()

    def index_of(self, block_type: str) -> QModelIndex:
        """The view's index of ``block_type`` (invalid if it is filtered out)."""
        for row in range(self.proxy.rowCount()):
            group = self.proxy.index(row, 0)
            for child in range(self.proxy.rowCount(group)):
                index = self.proxy.index(child, 0, group)
                if index.data(BLOCK_TYPE_ROLE) == block_type:
                    return index
        return QModelIndex()

    def _on_filter(self, text: str) -> None:
        self.proxy.set_needle(text)
        self.view.expandAll()

    def _on_activated(self, index: QModelIndex) -> None:
        block_type = index.data(BLOCK_TYPE_ROLE)
        if block_type:
            self.block_activated.emit(block_type)
        definition = index.data(DEFINITION_ROLE)
        if definition:
            self.definition_activated.emit(definition)

    def _activate_first(self) -> None:
        """Enter in the filter box adds the block shown that matches best: by name exactly,
        then by the start of its name, then anywhere in it, then by category ("output" means
        Output, not Input, which is in the Input/Output category too)."""
        needle = self.filter.text().strip().lower()
        shown = [
            self.proxy.index(child, 0, self.proxy.index(row, 0))
            for row in range(self.proxy.rowCount())
            for child in range(self.proxy.rowCount(self.proxy.index(row, 0)))
            if self.proxy.index(child, 0, self.proxy.index(row, 0)).data(BLOCK_TYPE_ROLE)
        ]
        if shown:
            self._on_activated(min(shown, key=lambda i: _match(i.data(BLOCK_TYPE_ROLE), needle)))


def _match(block_type: str, needle: str) -> int:
    """How well ``needle`` names ``block_type``: 0 exactly ... 3 only through its category."""
    name = block_type.lower()
    if name == needle:
        return 0
    if name.startswith(needle):
        return 1
    return 2 if needle in name else 3
