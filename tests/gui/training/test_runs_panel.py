"""The Runs tab: two runs trained from the dashboard with a changed layer, listed, sorted,
filtered, annotated, and diffed against the network being edited."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from cnnstudio.core.commands import SetParams
from cnnstudio.gui.training.runs_panel import COLUMNS, NOTE, SORT_ROLE
from cnnstudio.train.run_history import read_note

# The offscreen platform cannot resize hints; the test does not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _column(name: str) -> int:
    return [c[0] for c in COLUMNS].index(name)


def _cell_center(table: Any, row: int, column: int) -> QPoint:
    return table.visualRect(table.model().index(row, column)).center()


def test_runs_are_listed_sorted_filtered_noted_and_diffed(
    qtbot, window, dashboard, click, events
) -> None:
    click("trainButton")
    first = events.wait("ended")
    assert window.document.push(SetParams("conv1", {"out_channels": 8})) is None
    click("trainButton")
    second = events.wait("ended", 2)
    assert first.run_dir != second.run_dir

    panel = dashboard.runs_panel
    bar = dashboard.tabs.tabBar()
    qtbot.mouseClick(
        bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(dashboard.tabs.indexOf(panel)).center()
    )
    assert dashboard.tabs.currentWidget() is panel
    table = panel.table
    assert table.objectName() == "runsList"
    proxy = table.model()
    assert proxy.rowCount() == 2
    assert [
        panel.model.records[proxy.mapToSource(proxy.index(r, 0)).row()].path for r in range(2)
    ] == [
        second.run_dir,
        first.run_dir,
    ]  # newest first
    params = _column("Params")
    assert proxy.index(0, params).data(SORT_ROLE) > proxy.index(1, params).data(SORT_ROLE)

    header = table.horizontalHeader()
    best = _column("Best acc")
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(header.sectionViewportPosition(best) + 5, header.height() // 2),
    )
    keys = [proxy.index(r, best).data(SORT_ROLE) for r in range(2)]
    assert keys == sorted(keys, reverse=header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder)
    assert header.sortIndicatorSection() == best

    qtbot.keyClicks(panel.filter, "no such run")
    assert proxy.rowCount() == 0
    panel.filter.clear()
    qtbot.keyClicks(panel.filter, "completed")
    assert proxy.rowCount() == 2
    panel.filter.clear()

    row = next(
        r
        for r in range(2)
        if panel.model.records[proxy.mapToSource(proxy.index(r, 0)).row()].path == first.run_dir
    )
    viewport = table.viewport()
    table.scrollTo(proxy.index(row, NOTE))  # the Note column is the last: scroll to it
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_cell_center(table, row, NOTE))
    qtbot.keyClick(table, Qt.Key.Key_F2)  # edit the current cell, as a user does
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    assert editor is not panel.filter
    qtbot.keyClicks(editor, "six filters")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits from a queued call
    qtbot.waitUntil(lambda: read_note(first.run_dir) == "six filters", timeout=2000)
    assert proxy.index(row, NOTE).data() == "six filters"

    assert panel.selected() is not None
    assert panel.selected().path == first.run_dir
    click("runsDiff")
    lines = [panel.diff_list.item(i).text() for i in range(panel.diff_list.count())]
    assert lines[0] == "~ conv1: out_channels 6 -> 8"
    assert lines[-1].startswith("params +")

    panel.refresh()  # reopened: the note is read back from the run folder
    assert sorted(r.note for r in panel.model.records) == ["", "six filters"]
