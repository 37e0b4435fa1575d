"""Will it fit? The Settings line and the warning before Train."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.memory import format_bytes
from cnnstudio.gui import theme

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_the_settings_line_shows_the_estimate_and_follows_the_batch_size(dashboard) -> None:
    panel = dashboard.settings_panel
    small = panel.estimate
    assert small is not None
    assert panel.memory.text().startswith(f"Peak memory of one step ≈ {format_bytes(small.total)}")
    assert f"of {format_bytes(panel.available)} available on cpu" in panel.memory.text()
    panel.editors["batch_size"].setValue(50)
    assert panel.estimate is not None
    assert panel.estimate.activations == 2 * small.activations


def test_train_asks_first_when_the_run_will_not_fit(qtbot, dashboard, monkeypatch) -> None:
    panel = dashboard.settings_panel
    panel.editors["batch_size"].setValue(500_000_000)
    assert "will probably not fit" in panel.memory.text()
    assert theme.current_theme().warning in panel.memory.styleSheet()
    asked: list[str] = []

    def no(parent, title, text, *args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", no)
    qtbot.mouseClick(dashboard.control.train_button, Qt.MouseButton.LeftButton)
    assert asked
    assert asked[0].startswith("This run will probably not fit in memory (estimated ")
    assert not dashboard.busy


@pytest.mark.slow
def test_find_largest_batch_probes_and_offers_an_undoable_batch_size(
    qtbot, window, dashboard
) -> None:
    panel = dashboard.settings_panel
    panel.probe_options = {"max_batch": 100, "available": 2**30}  # a bound that ends quickly
    dashboard.tabs.setCurrentWidget(panel)
    qtbot.mouseClick(panel.find_batch, Qt.MouseButton.LeftButton)
    assert panel.find_batch.text() == "Cancel"
    qtbot.waitUntil(
        lambda: panel.use_batch.isVisibleTo(panel) and not panel.searching, timeout=120_000
    )
    assert panel.memory.text() == "The largest batch that fits with 10 % free: 100"
    assert panel.find_batch.text() == "Find largest batch"
    qtbot.mouseClick(panel.use_batch, Qt.MouseButton.LeftButton)
    assert window.document.project.training["batch_size"] == 100
    window.document.undo_stack.undo()
    assert window.document.project.training["batch_size"] == 25
