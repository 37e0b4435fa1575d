"""The main window the Help menu's tests use: shown, settings in memory, closed without asking."""

from __future__ import annotations

import pytest

from cnnstudio.gui import settings
from cnnstudio.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(settings, "_MEMORY", {})
    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    w.show()
    qtbot.waitExposed(w)
    return w
