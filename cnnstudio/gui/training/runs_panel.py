"""The Runs tab: the project's run history, sortable and filterable, notes editable, the runs
selected for comparing their curves, the architecture diff of a run against the network being
edited (or of two runs), and a run's network opened as a new project or put in place of the
current one."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QFile,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.diff import Comparison
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import Project
from cnnstudio.gui.document import Document
from cnnstudio.gui.numbers import short_count
from cnnstudio.train.run_history import RunRecord, list_runs, run_project, write_note

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole
CONTENT_ROWS = 30  # column widths fit the first rows: measuring every row is most of a refresh
_DISPLAY, _EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.2f} %"


def _text(v: Any) -> str:
    return "" if v is None else str(v)


# (header, text of a record, sort key of a record): numbers sort as numbers, unknowns first
COLUMNS: tuple[tuple[str, Callable[[RunRecord], str], Callable[[RunRecord], Any]], ...] = (
    ("Started", lambda r: (r.started or r.run).replace("T", " ")[:19], lambda r: r.run),
    ("Status", lambda r: r.status.replace("_", "-"), lambda r: r.status),
    ("Epochs", lambda r: _text(r.epochs), lambda r: r.epochs),
    ("Best acc", lambda r: _pct(r.best_val_accuracy), lambda r: r.best_val_accuracy),
    ("Last acc", lambda r: _pct(r.last_val_accuracy), lambda r: r.last_val_accuracy),
    ("Val loss", lambda r: "" if r.val_loss is None else f"{r.val_loss:.4g}", lambda r: r.val_loss),
    ("Params", lambda r: "" if r.params is None else short_count(r.params), lambda r: r.params),
    ("MACs", lambda r: "" if r.macs is None else short_count(r.macs), lambda r: r.macs),
    ("Time", lambda r: "" if r.seconds is None else f"{r.seconds:.1f} s", lambda r: r.seconds),
    (
        "Samples/s",
        lambda r: "" if r.samples_per_s is None else f"{r.samples_per_s:,.0f}",
        lambda r: r.samples_per_s,
    ),
    ("Optimizer", lambda r: _text(r.optimizer), lambda r: r.optimizer),
    ("LR", lambda r: "" if r.lr is None else f"{r.lr:.3g}", lambda r: r.lr),
    ("Batch", lambda r: _text(r.batch_size), lambda r: r.batch_size),
    ("Scheduler", lambda r: _text(r.scheduler), lambda r: r.scheduler),
    ("Note", lambda r: r.note, lambda r: r.note.lower()),
)
NOTE = len(COLUMNS) - 1
_TEXT_COLUMNS = {0, 1, 10, 13, NOTE}


def _sort_key(column: int, key: Any) -> Any:
    """Text columns sort as text, the others as numbers with unknowns first."""
    if column in _TEXT_COLUMNS:
        return key or ""
    return -math.inf if key is None else float(key)


class RunsModel(QAbstractTableModel):
    """One row per run; the Note column is editable and written to the run folder."""

    note_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []
        self._cells: list[list[str]] = []
        self._keys: list[list[Any]] = []

    def set_records(self, records: list[RunRecord]) -> None:
        """Cells and sort keys are computed once here: a view asks for them thousands of times."""
        self.beginResetModel()
        self.records = records
        self._cells = [[text(r) for _, text, _ in COLUMNS] for r in records]
        self._keys = [
            [_sort_key(c, key(r)) for c, (_, _, key) in enumerate(COLUMNS)] for r in records
        ]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and Qt.ItemDataRole(role) == _DISPLAY:
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        role = Qt.ItemDataRole(role)  # views pass an int, Python callers the enum
        if role in (_DISPLAY, _EDIT):
            return self._cells[row][column]
        if role == SORT_ROLE:
            return self._keys[row][column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(self.records[row].path)
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in _TEXT_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() == NOTE else flags

    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        if Qt.ItemDataRole(role) != _EDIT or index.column() != NOTE:
            return False
        record = self.records[index.row()]
        try:
            write_note(record.path, str(value))
        except OSError as exc:
            self.note_failed.emit(
                f"Cannot save the note of run {record.run}: {exc.strerror or exc}"
            )
            return False
        note = str(value).strip()
        self.records[index.row()] = dataclasses.replace(record, note=note)
        self._cells[index.row()][NOTE] = note
        self._keys[index.row()][NOTE] = note.lower()
        self.dataChanged.emit(index, index)
        return True


class RunsPanel(QWidget):
    """Lists the runs in ``folder()`` each time it is shown; diffs against ``current()``.

    ``open_requested(path)`` asks the window to open a run's network as a new project;
    ``compare_changed`` carries the run folders selected (several with Ctrl or Shift), whose
    curves the dashboard overlays; ``show_curves`` asks it to bring those curves forward.
    """

    open_requested = Signal(object)  # Path of the run folder
    compare_changed = Signal(list)  # list[Path]
    show_curves = Signal()

    def __init__(
        self,
        folder: Callable[[], Path],
        current: Callable[[], GraphModel],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self._folder, self._current = folder, current
        self.document: Document | None = None
        self.model = RunsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(placeholderText="Filter runs (any column)")
        self.filter.setObjectName("runsFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.diff_button = QPushButton("Diff with current")
        self.diff_button.setObjectName("runsDiff")
        self.diff_button.setToolTip("What changed in the network since the selected run")
        self.diff_button.setEnabled(False)
        self.diff_button.clicked.connect(self.diff_selected)
        self.clear_diff_button = QPushButton("Clear diff")
        self.clear_diff_button.setObjectName("runsClearDiff")
        self.clear_diff_button.setToolTip("Take the diff off the canvas (or press Esc there)")
        self.clear_diff_button.setEnabled(False)
        self.clear_diff_button.clicked.connect(self.clear_diff)
        self.open_button = QPushButton("Open network")
        self.open_button.setObjectName("runsOpen")
        self.open_button.setToolTip(
            "Open the network and settings the selected run trained as a new, unsaved project"
        )
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        self.replace_button = QPushButton("Replace current network")
        self.replace_button.setObjectName("runsReplace")
        self.replace_button.setToolTip(
            "Put the network and settings the selected run trained in place of the current "
            "ones, as one edit that Undo takes back"
        )
        self.replace_button.setEnabled(False)
        self.replace_button.clicked.connect(self.replace_with_selected)
        self.curves_button = QPushButton("Compare curves")
        self.curves_button.setObjectName("runsCompare")
        self.curves_button.setToolTip(
            "Show the selected runs' loss and accuracy curves over the live ones (select several "
            "with Ctrl or Shift)"
        )
        self.curves_button.setEnabled(False)
        self.curves_button.clicked.connect(self.show_curves)
        self.delete_button = QPushButton("Delete run…")
        self.delete_button.setObjectName("runsDelete")
        self.delete_button.setToolTip("Move the selected run's folder to the trash")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.delete_selected)
        self.table = QTableView()
        self.table.setObjectName("runsList")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(CONTENT_ROWS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.status = QLabel()
        self.status.setObjectName("runsStatus")
        self.diff_list = QListWidget()
        self.diff_list.setObjectName("runsDiffList")
        self.diff_list.setToolTip("Click a change to show its block on the canvas")
        self.diff_list.itemClicked.connect(self._change_clicked)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.curves_button)
        top.addWidget(self.diff_button)
        top.addWidget(self.clear_diff_button)
        top.addWidget(self.open_button)
        top.addWidget(self.replace_button)
        top.addWidget(self.delete_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.diff_list)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.model.note_failed.connect(self.status.setText)

    def refresh(self) -> None:
        """Read the run folders again (a new run, a note edited elsewhere)."""
        folder = self._folder()
        compared = set(self.compared())
        self.model.set_records(list_runs(folder))
        self._select(compared)
        n = len(self.model.records)
        self.status.setText(f"{n} run{'s' * (n != 1)} in {folder}" if n else f"No runs in {folder}")

    def refresh_if_shown(self) -> None:
        """After a run: a hidden panel reads the folders when it is shown instead."""
        if self.isVisible():
            self.refresh()

    def set_document(self, document: Document) -> None:
        """Follow ``document``'s architecture diff (the list names its changes)."""
        if self.document is not None:
            self.document.comparison_changed.disconnect(self._show_comparison)
        self.document = document
        document.comparison_changed.connect(self._show_comparison)
        self._show_comparison()

    def compared(self) -> list[Path]:
        """The selected runs' folders, in the order the table shows them."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.model.records[self.proxy.mapToSource(i).row()].path for i in rows]

    def _select(self, paths: set[Path]) -> None:
        """Select these runs again after the list was read anew (a refresh resets it)."""
        selection = QItemSelection()
        for row, record in enumerate(self.model.records):
            if record.path in paths:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)
        self._selection_changed()

    def selected(self) -> RunRecord | None:
        chosen = self.selected_runs()
        return chosen[0] if chosen else None

    def selected_runs(self) -> list[RunRecord]:
        """The selected runs, oldest first (the records are listed newest first)."""
        rows = [self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()]
        return [self.model.records[r] for r in sorted(rows, reverse=True)]

    def _project(self, record: RunRecord) -> Project | None:
        """The project as ``record``'s run trained it, or None after saying why not."""
        try:
            return run_project(record.path)
        except CnnStudioError as exc:
            self.status.setText(str(exc))
            return None

    def diff_selected(self) -> None:
        """Show what changed from the selected run's network to the one being edited, or
        from the older of two selected runs to the newer, over the canvas and in the list."""
        records = self.selected_runs()
        if not records or self.document is None:
            return
        projects = [self._project(r) for r in records[:2]]
        if None in projects:
            return
        graphs = [p.graph for p in projects if p is not None]
        if len(graphs) == 2:
            comparison = Comparison.of(
                graphs[0], graphs[1], f"run {records[0].run}", f"run {records[1].run}"
            )
            self.status.setText(f"Changes from run {records[0].run} to run {records[1].run}")
        else:
            comparison = Comparison.of(
                graphs[0], self._current(), f"run {records[0].run}", "the current network"
            )
            self.status.setText(f"Changes since run {records[0].run}")
        self.document.set_comparison(comparison)

    def clear_diff(self) -> None:
        if self.document is not None:
            self.document.set_comparison(None)

    def _show_comparison(self) -> None:
        self.diff_list.clear()
        comparison = self.document.comparison if self.document is not None else None
        self.clear_diff_button.setEnabled(comparison is not None)
        if comparison is None:
            return
        entries = comparison.entries()
        if not entries:
            self.diff_list.addItem(
                f"No change: {comparison.new_name} is the network {comparison.old_name} trained."
            )
        for entry in entries:
            item = QListWidgetItem(entry.text)
            if entry.node is not None:
                item.setData(Qt.ItemDataRole.UserRole, (entry.node, entry.in_old))
            self.diff_list.addItem(item)

    def _change_clicked(self, item: QListWidgetItem) -> None:
        target = item.data(Qt.ItemDataRole.UserRole)
        if target is not None and self.document is not None:
            self.document.choose_change(*target)

    def open_selected(self) -> None:
        """Ask for the selected run's network as a new project (the window asks about unsaved
        changes first)."""
        record = self.selected()
        if record is not None:
            self.open_requested.emit(record.path)

    def replace_with_selected(self) -> None:
        """Put the selected run's network and settings in place of the current ones (undoable)."""
        record = self.selected()
        if record is None or self.document is None:
            return
        project = self._project(record)
        if project is None:
            return
        refused = self.document.replace_with(project, f"Replace the network with run {record.run}")
        self.status.setText(
            refused or f"The network is now run {record.run}'s (Undo takes it back)"
        )

    def delete_selected(self) -> None:
        """Move the selected run's folder to the system trash, once the user confirmed."""
        record = self.selected()
        if record is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete run",
            f"Move run {record.run} ({record.status}, {record.epochs or 0} epochs) to the "
            f"trash?\n\n{record.path}",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if not QFile.moveToTrash(str(record.path)):
            self.status.setText(
                f"Run {record.run} could not be moved to the trash (none on this system, or no "
                f"permission); {record.path} is kept"
            )
            return
        self.refresh()
        self.status.setText(f"Run {record.run} moved to the trash")

    def _selection_changed(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        self.diff_button.setEnabled(count in (1, 2))
        self.diff_button.setText("Diff selected runs" if count == 2 else "Diff with current")
        self.curves_button.setEnabled(count > 0)
        for button in (self.open_button, self.replace_button, self.delete_button):
            button.setEnabled(count == 1)
        self.compare_changed.emit(self.compared())

    def context_menu(self) -> QMenu:
        """The selected runs' actions, as the buttons offer them."""
        menu = QMenu(self)
        for button in (
            self.curves_button,
            self.open_button,
            self.replace_button,
            self.diff_button,
            self.clear_diff_button,
            self.delete_button,
        ):
            action = menu.addAction(button.text(), button.click)
            action.setEnabled(button.isEnabled())
            action.setToolTip(button.toolTip())
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu()
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
