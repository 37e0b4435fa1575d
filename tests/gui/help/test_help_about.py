"""Help > About shows the versions and device; Copy Diagnostics puts them on the clipboard."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys

import PySide6
import pytest
import torch
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.settings import data_dir

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _expected_device() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return "MPS" if torch.backends.mps.is_available() else "CPU"


def test_about_shows_every_version_and_the_device(window: MainWindow, qtbot) -> None:
    window.findChild(QAction, "actionAbout").trigger()
    about = window.help_menu.about
    assert about is not None
    qtbot.waitExposed(about)
    shown = about.values()
    assert shown["cnnstudio"] == importlib.metadata.version("cnnstudio")
    assert shown["Python"].startswith(platform.python_version())
    assert shown["PySide6"] == f"{PySide6.__version__} (Qt {qVersion()})"
    assert shown["pyqtgraph"] == importlib.metadata.version("pyqtgraph")
    assert shown["torch"] == torch.__version__
    assert _expected_device() in shown["Device"]


def test_copy_diagnostics_puts_a_report_on_the_clipboard(window: MainWindow) -> None:
    QApplication.clipboard().setText("")
    window.findChild(QAction, "actionCopyDiagnostics").trigger()
    lines = QApplication.clipboard().text().splitlines()
    facts = dict(line.split(": ", 1) for line in lines)
    assert facts["torch"] == torch.__version__
    assert facts["PySide6"].startswith(PySide6.__version__)
    assert facts["Platform"] == platform.platform()
    assert _expected_device() in facts["Device"]
    assert facts["Settings"] == window.settings.location()
    assert facts["Data folder"] == str(data_dir())  # autosaves and runs of unsaved projects
    assert "clipboard" in window.statusBar().currentMessage()


def test_the_help_menu_does_not_import_torch() -> None:
    """About imports torch when it opens; loading the menu must not (start-up stays light)."""
    code = "import sys; sys.modules['torch'] = None; import cnnstudio.gui.help"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
