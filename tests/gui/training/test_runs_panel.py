"""The Runs tab: two runs trained from the dashboard with a changed layer, listed, sorted,
filtered, annotated, and diffed against the network being edited."""

from __future__ import annotations

import shutil
import sys
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from cnnstudio.core.commands import SetParams
from cnnstudio.gui.training.runs_panel import COLUMNS, NOTE, SORT_ROLE
from cnnstudio.train.run_history import read_note
from cnnstudio.train.trainer import train

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

    def show_runs() -> None:
        tab = bar.tabRect(dashboard.tabs.indexOf(panel)).center()
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=tab)

    show_runs()
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

    # a changed network starts a new run (an unchanged one would continue the last)
    assert window.document.push(SetParams("conv1", {"out_channels": 10})) is None
    click("trainButton")  # the Live tab comes forward; back on Runs the new run is listed
    third = events.wait("ended", 3)
    assert dashboard.tabs.currentWidget() is not panel
    show_runs()
    assert proxy.rowCount() == 3
    assert panel.model.records[proxy.mapToSource(proxy.index(0, 0)).row()].path == third.run_dir
    assert window.document.push(SetParams("conv1", {"out_channels": 12})) is None
    click("trainButton")
    events.wait("started", 4)  # the Live tab came forward; the user goes back to Runs
    show_runs()  # shown while the run goes on: the end of the run refreshes the list
    fourth = events.wait("ended", 4)
    qtbot.waitUntil(lambda: proxy.rowCount() == 4, timeout=2000)
    assert fourth.run_dir in [r.path for r in panel.model.records]


def test_two_hundred_runs_are_listed(qtbot, window, dashboard) -> None:
    """Their drawing time is measured by benchmarks, not asserted here (this machine is noisy)."""
    folder = dashboard.runs_folder()
    project = window.document.snapshot()
    result = train(project, run_dir=folder.parent, epochs=1)
    assert result.run_dir is not None
    for i in range(200):
        copy = folder / f"20250101-{i // 60:02d}{i % 60:02d}01"
        shutil.copytree(
            result.run_dir, copy, ignore=shutil.ignore_patterns("*.safetensors", "*.pt")
        )
    shutil.rmtree(result.run_dir)
    panel = dashboard.runs_panel
    dashboard.tabs.setCurrentWidget(panel)
    panel.refresh()
    QApplication.processEvents()  # the table lays out and paints
    assert panel.proxy.rowCount() == 200


@pytest.mark.skipif(sys.platform != "linux", reason="redirects the freedesktop.org trash only")
def test_delete_asks_then_moves_the_run_to_the_trash(
    qtbot, window, dashboard, click, answer, monkeypatch, tmp_path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data))  # the test's own trash, not the user's
    folder = dashboard.runs_folder()
    result = train(window.document.snapshot(), run_dir=folder.parent, epochs=1)
    assert result.run_dir is not None
    panel = dashboard.runs_panel
    dashboard.tabs.setCurrentWidget(panel)
    table = panel.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=_cell_center(table, 0, 0))
    asked = answer(QMessageBox.StandardButton.No)
    click("runsDelete")
    assert asked == ["Delete run"]
    assert result.run_dir.is_dir()
    assert panel.proxy.rowCount() == 1
    answer(QMessageBox.StandardButton.Yes)
    click("runsDelete")
    assert not result.run_dir.exists()
    assert (data / "Trash" / "files" / result.run_dir.name / "config.json").is_file()
    assert panel.proxy.rowCount() == 0
    assert panel.status.text() == f"Run {result.run_dir.name} moved to the trash"
