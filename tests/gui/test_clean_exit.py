"""Closing the app prints nothing and exits 0, on every close path (real processes)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Starts the real app, makes an edit, copies blocks, then quits through File > Quit answering
# the unsaved-changes question with the given button.
DRIVER = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from cnnstudio.core.commands import SetParams
from cnnstudio.gui import app as app_module

answer = getattr(QMessageBox.StandardButton, sys.argv[1])
QMessageBox.question = staticmethod(lambda *args, **kwargs: answer)

def drive():
    window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")
    assert window.document.push(SetParams("fc1", {"out_features": 100})) is None
    window.scene.select_nodes(["conv1", "relu1"])
    assert window.copy()
    window.action_quit.trigger()
    if sys.argv[1] == "Cancel":  # the window stayed: leave it the way a user would
        assert window.isVisible()
        window.document.undo_stack.setClean()
        window.action_quit.trigger()

QApplication(sys.argv[:1])
QTimer.singleShot(300, drive)
sys.exit(app_module.run_app(None))
"""


@pytest.mark.parametrize("answer", ["Discard", "Cancel"])
def test_quit_after_an_edit_and_a_copy_exits_cleanly(tmp_path, answer: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CNNSTUDIO_NO_SETTINGS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, answer],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    noise = [
        line
        for line in done.stderr.splitlines()
        if "propagateSizeHints" not in line  # the offscreen platform's own note
    ]
    assert done.returncode == 0, done.stderr
    assert noise == []
