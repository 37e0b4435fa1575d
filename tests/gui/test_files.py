"""Opening, saving and the unsaved-changes prompt, with the dialogs stubbed as a user answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from cnnstudio.core.commands import Move, SetParams
from cnnstudio.core.project import load_project
from cnnstudio.gui import app as gui_app
from cnnstudio.gui import settings, theme
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import examples_dir

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

Button = QMessageBox.StandardButton


class Dialogs:
    """Records the message boxes shown and answers the Save/Discard/Cancel question."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.questions: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.answer = Button.Cancel
        self.save_path = ""
        self.open_path = ""
        monkeypatch.setattr(QMessageBox, "question", self._question)
        monkeypatch.setattr(QMessageBox, "critical", self._critical)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (self.save_path, ""))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (self.open_path, ""))

    def _question(self, parent, title, text, *args) -> QMessageBox.StandardButton:
        self.questions.append(text)
        return self.answer

    def _critical(self, parent, title, text, *args) -> QMessageBox.StandardButton:
        self.errors.append((title, text))
        return Button.Ok


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    monkeypatch.setattr(settings, "_MEMORY", {})
    return Dialogs(monkeypatch)


@pytest.fixture
def window(qtbot, dialogs) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    return w


def _edit(window: MainWindow) -> None:
    window.document.push(SetParams("fc1", {"out_features": 64}))


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_save_then_reopen_gives_the_identical_project(qtbot, window, tmp_path) -> None:
    _edit(window)
    window.document.push(Move({"conv1": (222.5, -40.0)}))
    path = tmp_path / "mine.cnnstudio"
    assert window.save_project(path)
    assert not window.isWindowModified()
    assert window.document.project.path == path
    assert "mine.cnnstudio" in window.windowTitle()
    other = MainWindow(str(path))
    qtbot.addWidget(other)
    assert other.document.project.to_dict() == window.document.project.to_dict()
    assert other.document.graph.node("conv1").position == (222.5, -40.0)
    assert not other.isWindowModified()


def test_save_keeps_the_other_sections_and_unknown_keys(window, tmp_path) -> None:
    doc = json.loads((examples_dir() / "lenet5.cnnstudio").read_text(encoding="utf-8"))
    doc |= {
        "dataset": {"name": "shapes", "size": 28},
        "training": {"epochs": 3},
        "weights": {"file": "w.safetensors"},
        "future_section": {"x": [1, 2]},
    }
    path = _write(tmp_path / "full.cnnstudio", doc)
    assert window.open_project(path)
    _edit(window)
    window.action_save.trigger()
    saved = json.loads(path.read_text(encoding="utf-8"))
    for key in ("dataset", "training", "weights", "future_section"):
        assert saved[key] == doc[key]
    assert saved["graph"]["nodes"][8]["params"]["out_features"] == 64
    assert not list(tmp_path.glob("*.tmp*"))  # the atomic write left nothing behind


def test_save_of_an_unsaved_project_asks_for_a_file_name(dialogs, window, tmp_path) -> None:
    window.action_new.trigger()
    dialogs.save_path = str(tmp_path / "fresh")
    assert window.save()
    assert (tmp_path / "fresh.cnnstudio").exists()
    assert window.document.project.name == "fresh"
    dialogs.save_path = ""  # the user cancels Save As
    assert not window.save_as()


def test_failed_save_reports_and_keeps_the_changes(dialogs, window, tmp_path) -> None:
    _edit(window)
    assert not window.save_project(tmp_path)  # a folder, not a file
    title, text = dialogs.errors[-1]
    assert title == "Cannot save project"
    assert str(tmp_path) in text
    assert window.isWindowModified()


@pytest.mark.parametrize(
    ("content", "where", "reason"),
    [
        ("{not json", "", "not valid JSON"),
        ('{"format": "cnnstudio", "version": 9, "graph": {}}', "version", "newer cnnstudio"),
        (
            '{"format": "cnnstudio", "version": 1, "graph": {"nodes": '
            '[{"id": "c", "type": "Conv2d", "params": {"out_channels": 0}}]}}',
            "graph.nodes[0].params.out_channels",
            "must be >= 1",
        ),
    ],
)
def test_failed_open_keeps_the_document_and_names_the_problem(
    dialogs, window, tmp_path, content, where, reason
) -> None:
    _edit(window)
    dialogs.answer = Button.Discard
    path = tmp_path / "broken.cnnstudio"
    path.write_text(content, encoding="utf-8")
    graph, project = window.document.graph, window.document.project
    assert not window.open_project(path)
    title, text = dialogs.errors[-1]
    assert title == "Cannot open project"
    assert str(path) in text
    assert where in text
    assert reason in text
    assert window.document.graph is graph
    assert window.document.project is project
    assert window.scene.graph is graph
    assert window.isWindowModified()  # the unsaved edit is still there


def test_missing_recent_file_is_reported_and_forgotten(dialogs, window, tmp_path) -> None:
    path = tmp_path / "gone.cnnstudio"
    window.save_project(path)
    path.unlink()
    window._fill_recent_menu()
    entry = next(a for a in window.recent_menu.actions() if a.text() == "gone.cnnstudio")
    entry.trigger()
    assert "no such file" in dialogs.errors[-1][1]
    assert str(path.resolve()) not in window.settings.recent_files()


def test_open_action_and_open_recent(dialogs, window, tmp_path) -> None:
    dialogs.open_path = str(examples_dir() / "resnet_small.cnnstudio")
    window.action_open.trigger()
    assert window.document.project.name == "Small ResNet"
    assert window.document.project.path == Path(dialogs.open_path)
    window.action_new.trigger()
    window._fill_recent_menu()
    entry = next(a for a in window.recent_menu.actions() if a.text() == "resnet_small.cnnstudio")
    entry.trigger()
    assert window.document.project.name == "Small ResNet"


@pytest.mark.parametrize("doing", ["new", "open", "close"])
def test_unsaved_changes_cancel_keeps_everything(dialogs, window, doing) -> None:
    _edit(window)
    dialogs.answer = Button.Cancel
    dialogs.open_path = str(examples_dir() / "vgg_small.cnnstudio")
    graph = window.document.graph
    if doing == "new":
        window.action_new.trigger()
    elif doing == "open":
        window.action_open.trigger()
    else:
        window.show()
        assert not window.close()
        assert window.isVisible()
    assert len(dialogs.questions) == 1
    assert "LeNet-5" in dialogs.questions[0]
    assert window.document.graph is graph
    assert window.isWindowModified()


def test_unsaved_changes_discard_goes_on(dialogs, window) -> None:
    _edit(window)
    dialogs.answer = Button.Discard
    window.action_new.trigger()
    assert len(window.document.graph) == 0
    assert not window.isWindowModified()


def test_unsaved_changes_save_writes_first(dialogs, window, tmp_path) -> None:
    _edit(window)
    dialogs.answer = Button.Save
    dialogs.save_path = str(tmp_path / "kept.cnnstudio")
    window.show()
    assert window.close()
    assert load_project(tmp_path / "kept.cnnstudio").graph.node("fc1").params["out_features"] == 64


def test_unsaved_changes_save_cancelled_in_the_file_dialog_stops(dialogs, window) -> None:
    _edit(window)
    dialogs.answer = Button.Save
    dialogs.save_path = ""
    window.action_new.trigger()
    assert len(window.document.graph) == 14
    assert window.isWindowModified()


def test_no_prompt_when_nothing_changed(dialogs, window) -> None:
    window.action_new.trigger()
    assert dialogs.questions == []


def test_dropping_a_project_file_opens_it(qtbot, window) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(examples_dir() / "inception_small.cnnstudio"))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.document.project.name == "Small Inception")
    window.view.file_dropped.emit(str(examples_dir() / "vgg_small.cnnstudio"))
    qtbot.waitUntil(lambda: window.document.project.name == "Small VGG")


def test_dropping_other_files_is_ignored(window, tmp_path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "picture.png"))])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert not event.isAccepted()


@pytest.mark.parametrize("argument", [None, "resnet_small"])
def test_run_app_opens_the_example_or_the_given_file(qtbot, monkeypatch, argument) -> None:
    app = QApplication.instance()
    monkeypatch.setattr(settings, "_MEMORY", {})
    monkeypatch.setattr(type(app), "exec", lambda self: 0)
    path = None if argument is None else str(examples_dir() / f"{argument}.cnnstudio")
    before = set(QApplication.topLevelWidgets())
    try:
        assert gui_app.run_app(path) == 0
        (window,) = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w not in before
        ]
        qtbot.addWidget(window)
        assert window.isVisible()
        expected = "LeNet-5" if argument is None else "Small ResNet"
        assert window.document.project.name == expected
        assert (window.document.project.path is None) == (argument is None)
    finally:
        theme.apply_theme(app, "light")
        app.setStyleSheet("")
