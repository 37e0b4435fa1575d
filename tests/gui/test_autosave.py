"""Autosave and crash recovery, driven as the user meets them: edits autosaved to the app's data
folder (never the user's file), the file gone after a save or a clean close, and after a crash
(a real process killed with SIGKILL) the next start offering to restore or discard it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton

from cnnstudio.core.commands import Move, SetParams
from cnnstudio.core.project import Project, load_project
from cnnstudio.core.recovery import RecoverySlot, read_recovery, recovery_dir
from cnnstudio.gui import app as gui_app
from cnnstudio.gui import settings, theme
from cnnstudio.gui.autosave import RecoveryDialog
from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.templates import examples_dir

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

ROOT = Path(__file__).parents[2]
INTERVAL_S = 0.05
CRASH_TIMEOUT_S = 30


def make_edits(document: Document) -> None:
    """A parameter, a position and a settings section changed (also run by the crashing app)."""
    document.push(SetParams("fc1", {"out_features": 64}))
    document.push(Move({"conv1": (222.5, -40.0)}))
    document.set_section("training", {"epochs": 7, "lr": 0.003}, "Training settings")


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The unsaved-changes question answered Discard; the questions asked are recorded."""
    asked: list[str] = []

    def question(parent, title, text, *args) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


@pytest.fixture
def window(qtbot, monkeypatch, answers) -> MainWindow:
    monkeypatch.setattr(settings, "_MEMORY", {settings.AUTOSAVE_INTERVAL_KEY: INTERVAL_S})
    w = MainWindow()
    qtbot.addWidget(w)
    return w


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = tmp_path / "lenet.cnnstudio"
    path.write_bytes((examples_dir() / "lenet5.cnnstudio").read_bytes())
    return path


def _recovery_files(data_dir: Path) -> list[Path]:
    folder = recovery_dir(data_dir)
    return sorted(folder.glob("*.cnnstudio")) if folder.is_dir() else []


def _wait_one_interval(qtbot) -> None:
    qtbot.wait(int(INTERVAL_S * 1000 * 6))


def test_an_edit_is_autosaved_and_nothing_is_written_without_one(
    qtbot, window, app_data_dir
) -> None:
    _wait_one_interval(qtbot)
    assert _recovery_files(app_data_dir) == []  # an untouched project leaves no trace

    make_edits(window.document)
    qtbot.waitUntil(lambda: window.autosaver.slot.path.exists(), timeout=5000)
    (path,) = _recovery_files(app_data_dir)
    recovered = read_recovery(path)
    assert recovered.project.to_dict() == window.document.snapshot().to_dict()
    assert recovered.file is None  # a new project, never saved

    written = path.stat()
    _wait_one_interval(qtbot)
    again = path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)  # unchanged

    window.document.push(Move({"relu1": (900.0, 10.0)}))
    qtbot.waitUntil(lambda: path.stat().st_ino != written.st_ino, timeout=5000)
    assert read_recovery(path).project.graph.node("relu1").position == (900.0, 10.0)


def test_undo_back_to_the_saved_state_removes_the_autosave(qtbot, window) -> None:
    window.document.push(SetParams("fc1", {"out_features": 64}))
    qtbot.waitUntil(lambda: window.autosaver.slot.path.exists(), timeout=5000)
    window.undo()
    qtbot.waitUntil(lambda: not window.autosaver.slot.path.exists(), timeout=5000)


def test_autosave_never_writes_the_users_file_and_a_save_removes_it(
    qtbot, window, user_file
) -> None:
    assert window.open_project(user_file)
    original = user_file.read_bytes()
    make_edits(window.document)
    qtbot.waitUntil(lambda: window.autosaver.slot.path.exists(), timeout=5000)
    assert user_file.read_bytes() == original
    assert read_recovery(window.autosaver.slot.path).file == user_file.resolve()

    assert window.save_project(user_file)
    assert not window.autosaver.slot.path.exists()
    assert load_project(user_file).to_dict() == window.document.project.to_dict()
    _wait_one_interval(qtbot)
    assert not window.autosaver.slot.path.exists()  # a save is not followed by an autosave


def test_interval_zero_turns_autosave_off(qtbot, monkeypatch, answers, app_data_dir) -> None:
    monkeypatch.setattr(settings, "_MEMORY", {settings.AUTOSAVE_INTERVAL_KEY: "0"})
    window = MainWindow()
    qtbot.addWidget(window)
    make_edits(window.document)
    _wait_one_interval(qtbot)
    assert _recovery_files(app_data_dir) == []


@pytest.mark.parametrize("value", ["soon", "-5", "nan"])
def test_a_bad_interval_setting_means_the_default(monkeypatch, value) -> None:
    monkeypatch.setattr(settings, "_MEMORY", {settings.AUTOSAVE_INTERVAL_KEY: value})
    assert settings.Settings().autosave_interval_s() == settings.DEFAULT_AUTOSAVE_INTERVAL_S


@pytest.mark.parametrize("leave", ["close", "new"])
def test_leaving_after_discarding_removes_the_autosave(
    qtbot, window, answers, app_data_dir, leave
) -> None:
    make_edits(window.document)
    qtbot.waitUntil(lambda: window.autosaver.slot.path.exists(), timeout=5000)
    if leave == "close":
        assert window.close()
        assert sorted(recovery_dir(app_data_dir).iterdir()) == []  # file and lock gone
    else:
        assert window.new_project("blank")
        assert _recovery_files(app_data_dir) == []
    assert len(answers) == 1  # the user was asked and chose Discard


def test_a_failed_autosave_is_reported_in_the_status_bar(
    qtbot, monkeypatch, answers, tmp_path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    monkeypatch.setenv("CNNSTUDIO_DATA_DIR", str(blocker))
    monkeypatch.setattr(settings, "_MEMORY", {settings.AUTOSAVE_INTERVAL_KEY: INTERVAL_S})
    window = MainWindow()
    qtbot.addWidget(window)
    make_edits(window.document)
    qtbot.waitUntil(lambda: "Autosave failed" in window.statusBar().currentMessage(), timeout=5000)
    assert str(blocker) in window.statusBar().currentMessage()


# ---- after a crash ---------------------------------------------------------------------------
def _crash_leftover(data_dir: Path, project: Project) -> Path:
    """What a crashed session leaves: its autosave, its lock released by the OS."""
    slot = RecoverySlot(recovery_dir(data_dir))
    slot.write(project)
    assert slot._lock is not None
    slot._lock.close()
    return slot.path


def _edited_project(path: Path | None, name: str = "LeNet-5") -> Project:
    document = Document(load_project(examples_dir() / "lenet5.cnnstudio"))
    make_edits(document)
    snapshot = document.snapshot()
    snapshot.path, snapshot.name = path, name
    document.deleteLater()
    return snapshot


class AppStart:
    """``start(answer)``: the app's start, ``answer`` clicking in the recovery dialog if one is
    shown (``shown`` keeps it); returns the main windows the start opened."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot
        self.shown: list[RecoveryDialog] = []

    def __call__(
        self, answer: Callable[[RecoveryDialog], None], path: Path | None = None
    ) -> list[MainWindow]:
        def click() -> None:
            dialog = QApplication.activeModalWidget()
            if isinstance(dialog, RecoveryDialog):
                self.shown.append(dialog)
                answer(dialog)

        before = set(QApplication.topLevelWidgets())
        QTimer.singleShot(0, click)
        assert gui_app.run_app(None if path is None else str(path)) == 0
        windows = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w not in before
        ]
        for w in windows:
            self.qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
        return windows


@pytest.fixture
def start_app(qtbot, monkeypatch) -> Iterator[AppStart]:
    app = QApplication.instance()
    monkeypatch.setattr(type(app), "exec", lambda self: 0)
    monkeypatch.setattr(settings, "_MEMORY", {})
    yield AppStart(qtbot)
    theme.apply_theme(app, "light")
    app.setStyleSheet("")


def _button(dialog: RecoveryDialog, text: str) -> QPushButton:
    (button,) = [b for b in dialog.findChildren(QPushButton) if b.text() == text]
    return button


def _assert_restored(window: MainWindow, expected: Project) -> None:
    document = window.document
    assert document.project.to_dict() == expected.to_dict()  # graph, positions, settings
    assert document.path == expected.path
    assert document.modified
    assert window.isWindowModified()
    assert window.document.undo_stack.canUndo() is False  # nothing to undo: it is a fresh start
    for node in expected.graph:
        item = window.scene.node_item(node.id)
        assert (item.pos().x(), item.pos().y()) == node.position  # the layout as it was


def test_restore_brings_back_the_autosave_exactly_and_marked_modified(
    start_app, app_data_dir, user_file
) -> None:
    original = user_file.read_bytes()
    expected = _edited_project(user_file.resolve())
    left = _crash_leftover(app_data_dir, expected)

    (window,) = start_app(lambda dialog: dialog.rows[0][0].click())
    (dialog,) = start_app.shown
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert "LeNet-5" in labels
    assert str(user_file.resolve()) in labels

    _assert_restored(window, expected)
    assert not left.exists()  # the crashed session's file went ...
    (own,) = _recovery_files(app_data_dir)  # ... once this session's autosave held the work
    assert read_recovery(own).project.to_dict() == expected.to_dict()
    assert user_file.read_bytes() == original

    assert window.save()  # Save writes the user's own file, and the autosave goes
    assert load_project(user_file).to_dict() == expected.to_dict()
    assert _recovery_files(app_data_dir) == []


def test_discard_deletes_the_autosave_and_keeps_the_start_project(start_app, app_data_dir) -> None:
    _crash_leftover(app_data_dir, _edited_project(None))
    (window,) = start_app(lambda dialog: _button(dialog, "Discard All").click())
    assert sorted(recovery_dir(app_data_dir).iterdir()) == []
    assert window.document.name == "LeNet-5"
    assert not window.document.modified


def test_decide_later_keeps_the_autosave_for_the_next_start(start_app, app_data_dir) -> None:
    left = _crash_leftover(app_data_dir, _edited_project(None))
    (window,) = start_app(lambda dialog: dialog.reject())
    assert left.exists()
    assert not window.document.modified


def test_restore_all_opens_each_project_in_its_own_window(start_app, app_data_dir) -> None:
    first = _edited_project(None)
    second = _edited_project(None, "<b>Second</b>")  # shown as typed, not as markup
    _crash_leftover(app_data_dir, first)
    _crash_leftover(app_data_dir, second)
    windows = start_app(lambda dialog: _button(dialog, "Restore All").click())
    (dialog,) = start_app.shown
    (name,) = [label for label in dialog.findChildren(QLabel) if label.text() == "<b>Second</b>"]
    assert name.textFormat() == Qt.TextFormat.PlainText
    assert sorted(w.document.name for w in windows) == ["<b>Second</b>", "LeNet-5"]
    for window in windows:
        _assert_restored(window, first if window.document.name == "LeNet-5" else second)
    assert len(_recovery_files(app_data_dir)) == 2  # now the two windows' own autosaves


def test_a_file_asked_for_stays_open_beside_another_restored_project(
    start_app, app_data_dir, user_file
) -> None:
    other = _edited_project(None, "Other")
    _crash_leftover(app_data_dir, other)
    windows = start_app(lambda dialog: dialog.rows[0][0].click(), user_file)
    (opened,) = [w for w in windows if w.document.path == user_file]
    (restored,) = [w for w in windows if w is not opened]
    assert not opened.document.modified
    _assert_restored(restored, other)


def test_the_file_asked_for_is_restored_in_place_when_its_autosave_is_chosen(
    start_app, app_data_dir, user_file
) -> None:
    expected = _edited_project(user_file.resolve())
    _crash_leftover(app_data_dir, expected)
    (window,) = start_app(lambda dialog: dialog.rows[0][0].click(), user_file)
    _assert_restored(window, expected)


def test_a_corrupt_autosave_is_reported_and_set_aside(start_app, app_data_dir) -> None:
    good = _crash_leftover(app_data_dir, _edited_project(None))
    bad = recovery_dir(app_data_dir) / "damaged.cnnstudio"
    bad.write_text('{"format": "cnnstudio", "version": 1, "gra', encoding="utf-8")
    (window,) = start_app(lambda dialog: dialog.rows[0][1].click())
    (dialog,) = start_app.shown
    report = dialog.corrupt_label.text()
    assert f"{bad}.corrupt" in report
    assert "not valid JSON" in report
    assert Path(f"{bad}.corrupt").exists()
    assert not bad.exists()
    assert not good.exists()  # discarded as asked; the start went on
    assert window.isVisible()


def test_a_corrupt_autosave_alone_is_reported_and_the_start_goes_on(
    start_app, app_data_dir
) -> None:
    bad = recovery_dir(app_data_dir) / "damaged.cnnstudio"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\xff\xfe not text")
    (window,) = start_app(lambda dialog: _button(dialog, "Close").click())
    (dialog,) = start_app.shown
    assert "not UTF-8" in dialog.corrupt_label.text()
    assert window.document.name == "LeNet-5"


# ---- a real crash ----------------------------------------------------------------------------
CRASHING_APP = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication
    from cnnstudio.gui import app, settings
    from cnnstudio.gui.main_window import MainWindow

    sys.path.insert(0, sys.argv[2])
    from test_autosave import make_edits

    settings._MEMORY[settings.AUTOSAVE_INTERVAL_KEY] = 0.2
    qapp = QApplication(sys.argv[:1])

    def edit():
        (window,) = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow)]
        make_edits(window.document)
        print("edited", flush=True)

    QTimer.singleShot(0, edit)
    sys.exit(app.run_app(sys.argv[1]))
    """
)


def test_after_a_real_crash_the_next_start_restores_the_edit(
    start_app, app_data_dir, user_file
) -> None:
    original = user_file.read_bytes()
    started = time.monotonic()
    env = {**os.environ, "CNNSTUDIO_DATA_DIR": str(app_data_dir)}
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_APP, str(user_file), str(Path(__file__).parent)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not _recovery_files(app_data_dir):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() - started < CRASH_TIMEOUT_S, "no autosave appeared"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert out == "edited\n"
    assert [line for line in err.splitlines() if "This plugin does not support" not in line] == []
    assert user_file.read_bytes() == original  # the crash cost nothing of the user's file

    (window,) = start_app(lambda dialog: dialog.rows[0][0].click())
    _assert_restored(window, _edited_project(user_file.resolve()))
