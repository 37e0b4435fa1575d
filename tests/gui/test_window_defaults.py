"""What a new window offers before the user arranges anything: dock sizes, the Open folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from cnnstudio.gui.main_window import MainWindow

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

ROWS_SHOWN = 6  # issues the list must have room for without scrolling


def _issue_rows_room(window: MainWindow) -> float:
    issues = window.issues
    return issues.viewport().height() / (issues.fontMetrics().height() + 4)


def test_issues_dock_shows_several_rows_by_default_and_after_reset(qtbot, shown_window) -> None:
    window = shown_window(1440, 900)
    qtbot.waitUntil(lambda: _issue_rows_room(window) >= ROWS_SHOWN)
    assert window.inspector_dock.height() > window.issues_dock.height()  # the form stays first
    assert window.issues_dock.height() > 0.5 * window.inspector_dock.height()
    docks = [window.inspector_dock, window.issues_dock]
    window.resizeDocks(docks, [600, 40], Qt.Orientation.Vertical)  # the user shrinks it
    qtbot.waitUntil(lambda: _issue_rows_room(window) < ROWS_SHOWN)
    window.action_reset_layout.trigger()  # the Issues dock gets its share of the column back
    qtbot.waitUntil(lambda: window.issues_dock.height() > 0.5 * window.inspector_dock.height())


def _folder_the_open_dialog_shows(qtbot, window: MainWindow) -> Path:
    """Trigger File > Open, read the folder the real dialog starts in, and cancel it."""
    seen: list[Path] = []

    def read_and_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, read_and_cancel)
            return
        seen.append(Path(dialog.directory().absolutePath()))
        dialog.reject()

    QTimer.singleShot(0, read_and_cancel)
    window.action_open.trigger()
    assert len(seen) == 1
    return seen[0]


def test_open_dialog_starts_in_the_folder_last_used(qtbot, shown_window, tmp_path: Path) -> None:
    window = shown_window(1440, 900)
    assert _folder_the_open_dialog_shows(qtbot, window) == Path.home()
    folder = tmp_path / "projects"
    folder.mkdir()
    assert window.save_project(folder / "net.cnnstudio")
    assert _folder_the_open_dialog_shows(qtbot, window) == folder.resolve()
    later = shown_window(1440, 900)  # another window, or the app started again: remembered
    assert _folder_the_open_dialog_shows(qtbot, later) == folder.resolve()
