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
