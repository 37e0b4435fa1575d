"""The training dashboard inside a real main window, on a tiny dataset so runs take seconds.

The QThread leak check is the autouse fixture of ``tests/gui/conftest.py``; every test here runs
under it, so a run or a data load left going fails the test that started it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

from cnnstudio.core.project import EXTENSION, load_project
from cnnstudio.gui import settings
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import examples_dir
from cnnstudio.gui.training.dashboard import TrainingDashboard

TINY_DATA = {"source": "shapes", "num_samples": 300}  # 250 training, 50 validation images
TINY_TRAINING = {"epochs": 2, "batch_size": 25, "lr": 0.003, "threads": 1}

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MainWindow]:
    """The LeNet-5 example saved with tiny data and settings in tmp_path (runs go beside it),
    opened the way a user opens a project, and shown."""
    monkeypatch.setattr(settings, "_MEMORY", {})
    project = load_project(examples_dir() / f"lenet5{EXTENSION}")
    project.dataset = dict(TINY_DATA)
    project.training = dict(TINY_TRAINING)
    project.save(tmp_path / f"lenet5{EXTENSION}")
    w = MainWindow(str(project.path))
    w.resize(1400, 950)

    def before_close(w: MainWindow) -> None:
        w.dashboard.shutdown()
        w.document.undo_stack.setClean()  # trained weights left unsaved must not ask on teardown

    qtbot.addWidget(w, before_close_func=before_close)
    w.show()
    qtbot.waitExposed(w)
    yield w
    # Delete the window (and its pyqtgraph scenes) now, in Qt's order, rather than leave it to
    # Python's cycle collector at some later moment of another test.
    w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def dashboard(window: MainWindow) -> TrainingDashboard:
    return window.dashboard


class RunEvents:
    """Every report the controller delivers during a test, so a test can wait for one that
    may already have come (a tiny run can end before ``waitSignal`` would start listening)."""

    def __init__(self, qtbot: Any, dashboard: TrainingDashboard) -> None:
        self.qtbot = qtbot
        c = dashboard.controller
        self.started: list[Any] = []
        self.epochs: list[Any] = []
        self.ended: list[Any] = []
        for signal, store in (
            (c.run_started, self.started),
            (c.epoch_ended, self.epochs),
            (c.run_ended, self.ended),
        ):
            signal.connect(store.append)

    def wait(self, name: str, count: int = 1, timeout_ms: int = 60_000) -> Any:
        """The ``count``-th event of kind ``name`` (started, epochs, ended), once it came."""
        store = getattr(self, name)
        self.qtbot.waitUntil(lambda: len(store) >= count, timeout=timeout_ms)
        return store[count - 1]


@pytest.fixture
def events(qtbot: Any, dashboard: TrainingDashboard) -> RunEvents:
    return RunEvents(qtbot, dashboard)


@pytest.fixture(autouse=True)
def _no_unexpected_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal question nobody answers would hang the test run; fail instead."""

    def unexpected(parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"unexpected question: {title}: {text}")

    monkeypatch.setattr(QMessageBox, "question", unexpected)


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """``answer(Yes, Discard)``: the next message boxes answer these, in order; returns the
    titles of the boxes asked, so a test can check what the user was asked."""

    def install(*answers: QMessageBox.StandardButton) -> list[str]:
        asked: list[str] = []
        queue = list(answers)

        def question(parent: Any, title: str, *args: Any, **kwargs: Any) -> Any:
            asked.append(title)
            return queue.pop(0)

        monkeypatch.setattr(QMessageBox, "question", question)
        return asked

    return install


@pytest.fixture
def click(qtbot: Any, dashboard: TrainingDashboard) -> Callable[[str], None]:
    """``click("trainButton")``: a left click on a dashboard button found by objectName."""

    def press(name: str) -> None:
        button = dashboard.findChild(QAbstractButton, name)
        assert button is not None, name
        assert button.isEnabled(), f"{name} is disabled"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    return press
