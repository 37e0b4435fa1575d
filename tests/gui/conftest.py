"""Shared GUI fixtures: example graphs, a live canvas, a shown main window, and a guard against
leaked threads."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QThread
from PySide6.QtGui import QMouseEvent, QUndoStack, QWheelEvent
from PySide6.QtWidgets import QApplication

from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import EXTENSION, Project, load_project
from cnnstudio.gui import settings
from cnnstudio.gui.analysis_model import AnalysisModel
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.view import GraphView
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.preview import live
from cnnstudio.gui.templates import examples_dir

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


@pytest.fixture(scope="session", autouse=True)
def _track_qthreads() -> Iterator[None]:
    """Record every QThread created from Python (subclasses included) for the leak check."""
    original = QThread.__init__

    def tracking_init(self: QThread, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _threads.add(self)

    QThread.__init__ = tracking_init  # type: ignore[method-assign]
    yield
    QThread.__init__ = original  # type: ignore[method-assign]


def _still_running(grace_ms: int) -> list[QThread]:
    """Tracked threads that do not finish within ``grace_ms``."""
    # A thread deleted with deleteLater (its C++ object gone) is not running.
    alive = [t for t in list(_threads) if shiboken6.isValid(t)]
    return [t for t in alive if t.isRunning() and not t.wait(grace_ms)]


@pytest.fixture(autouse=True)
def _preview_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows open with the live preview off, as for a network over its size limit, so its
    pictures do not resize blocks under tests about other things (``test_preview.py`` puts the
    limit back)."""
    monkeypatch.setattr(live, "PARAMS_LIMIT", -1)


@pytest.fixture
def still_running_qthreads(_track_qthreads: None) -> Callable[[int], list[QThread]]:
    """The leak check itself, so a test can show that it sees a running thread."""
    return _still_running


@pytest.fixture(autouse=True)
def _no_running_qthreads(_track_qthreads: None) -> Iterator[None]:
    """Fail a test that leaves a QThread running (it is stopped first, so others can go on)."""
    yield
    leaked = _still_running(200)
    for thread in leaked:
        thread.quit()
        thread.wait(5000)
    if leaked:
        names = ", ".join(t.objectName() or type(t).__name__ for t in leaked)
        pytest.fail(f"test left {len(leaked)} QThread(s) running: {names}")


@pytest.fixture
def graph_from_example() -> Callable[[str], GraphModel]:
    """``graph_from_example("lenet5")``: the graph of ``examples/lenet5.cnnstudio``."""

    def load(name: str) -> GraphModel:
        return load_project(examples_dir() / f"{name}{EXTENSION}").graph

    return load


_LEFT = Qt.MouseButton.LeftButton
_NONE = Qt.KeyboardModifier.NoModifier


Where = QPointF | QPoint  # a scene point, or a viewport pixel (for gestures that pan the view)


class Mouse:
    """Real mouse events sent to the canvas's viewport."""

    def __init__(self, view: GraphView) -> None:
        self.view = view

    def _local(self, at: Where) -> QPointF:
        return QPointF(at) if isinstance(at, QPoint) else QPointF(self.view.mapFromScene(at))

    def _send(
        self,
        kind: QEvent.Type,
        at: Where,
        button: Qt.MouseButton,
        buttons: Qt.MouseButton,
        modifiers: Qt.KeyboardModifier,
    ) -> None:
        viewport = self.view.viewport()
        local = self._local(at)
        global_pos = QPointF(viewport.mapToGlobal(local.toPoint()))
        event = QMouseEvent(kind, local, global_pos, button, buttons, modifiers)
        QApplication.sendEvent(viewport, event)

    def press(
        self, at: Where, button: Qt.MouseButton = _LEFT, modifiers: Qt.KeyboardModifier = _NONE
    ) -> None:
        self._send(QEvent.Type.MouseButtonPress, at, button, button, modifiers)

    def move(
        self, at: Where, buttons: Qt.MouseButton = _LEFT, modifiers: Qt.KeyboardModifier = _NONE
    ) -> None:
        self._send(QEvent.Type.MouseMove, at, Qt.MouseButton.NoButton, buttons, modifiers)

    def release(
        self, at: Where, button: Qt.MouseButton = _LEFT, modifiers: Qt.KeyboardModifier = _NONE
    ) -> None:
        self._send(QEvent.Type.MouseButtonRelease, at, button, Qt.MouseButton.NoButton, modifiers)

    def click(self, at: Where, modifiers: Qt.KeyboardModifier = _NONE) -> None:
        self.press(at, modifiers=modifiers)
        self.release(at, modifiers=modifiers)

    def double_click(self, at: Where) -> None:
        self.click(at)
        self._send(QEvent.Type.MouseButtonDblClick, at, _LEFT, _LEFT, _NONE)
        self.release(at)

    def drag(
        self,
        start: Where,
        end: Where,
        steps: int = 5,
        button: Qt.MouseButton = _LEFT,
        modifiers: Qt.KeyboardModifier = _NONE,
    ) -> None:
        """Press at ``start``, move in ``steps`` to ``end``, release there."""
        self.press(start, button, modifiers)
        for i in range(1, steps + 1):
            point = start + (end - start) * (i / steps)
            self.move(point, button, modifiers)
        self.release(end, button, modifiers)

    def wheel(self, at: Where, degrees_8ths: int) -> None:
        viewport = self.view.viewport()
        local = self._local(at)
        event = QWheelEvent(
            local,
            QPointF(viewport.mapToGlobal(local.toPoint())),
            QPoint(0, 0),
            QPoint(0, degrees_8ths),
            Qt.MouseButton.NoButton,
            _NONE,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, event)


@pytest.fixture
def mouse_on() -> Callable[[GraphView], Mouse]:
    """``mouse_on(view)``: real mouse events on any canvas, a main window's included."""
    return Mouse


@dataclass
class Canvas:
    document: Document
    graph: GraphModel
    stack: QUndoStack
    analysis: AnalysisModel
    scene: GraphScene
    view: GraphView
    mouse: Mouse


@pytest.fixture
def make_canvas(qtbot: Any) -> Iterator[Callable[[GraphModel], Canvas]]:
    """Build a shown canvas (scene + view, 1000x700) on a graph; torn down after the test."""
    made: list[Canvas] = []

    def make(graph: GraphModel) -> Canvas:
        document = Document(Project(graph=graph))
        scene = GraphScene(document)
        view = GraphView(scene)
        view.resize(1000, 700)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        canvas = Canvas(
            document, graph, document.undo_stack, document.analysis, scene, view, Mouse(view)
        )
        made.append(canvas)
        return canvas

    yield make
    for canvas in made:
        canvas.scene.detach()
        canvas.document.close()
        canvas.view.setScene(None)


@pytest.fixture
def shown_window(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., MainWindow]:
    """``shown_window(width, height)``: a main window on the default example, shown; its
    preferences live in memory, shared by the windows of one test as QSettings would be."""
    monkeypatch.setattr(settings, "_MEMORY", {})

    def make(width: int = 1200, height: int = 800) -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
        window.resize(width, height)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make
