"""File → Export as a user meets it: pick a format, a file; the export runs beside the editor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QPushButton

from cnnstudio.core.commands import Disconnect, SetParams
from cnnstudio.export import FORMATS
from cnnstudio.gui import export_menu, settings
from cnnstudio.gui.export_menu import ENTRIES, ExportMenu, file_slug
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.trained_weights import TrainedWeights
from cnnstudio.torch_backend.compiler import compile_graph

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

EXPORT_TIMEOUT_MS = 120_000


class Dialogs:
    """Answers the file dialog with ``path`` and records what it and the error boxes were given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = ""
        self.asked: list[tuple[str, str, str]] = []  # caption, suggested file, filter
        self.errors: list[tuple[str, str]] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self._save_file_name)
        monkeypatch.setattr(QMessageBox, "critical", self._critical)

    def _save_file_name(self, parent, caption, start, filters, *args) -> tuple[str, str]:
        self.asked.append((caption, start, filters))
        return self.path, ""

    def _critical(self, parent, title, text, *args) -> QMessageBox.StandardButton:
        self.errors.append((title, text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    monkeypatch.setattr(settings, "_MEMORY", {})
    return Dialogs(monkeypatch)


@pytest.fixture
def window(qtbot, dialogs: Dialogs) -> MainWindow:
    """The editor on its LeNet-5 example (unsaved, no trained weights)."""
    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    return w


def exporter(window: MainWindow) -> ExportMenu:
    found = window.findChild(ExportMenu, "exportMenu")
    assert found is window.export_menu
    return found


def trigger(qtbot, window: MainWindow, action_name: str) -> list[str]:
    """Trigger an Export action and wait for the export's end; returns its progress messages."""
    menu = exporter(window)
    messages: list[str] = []
    menu.progress.connect(messages.append)
    with qtbot.waitSignal(menu.finished, timeout=EXPORT_TIMEOUT_MS):
        window.findChild(QAction, action_name).trigger()
    assert not menu.running
    return messages


def finished_text(window: MainWindow) -> str:
    box = window.findChild(QMessageBox, "exportFinished")
    assert box is not None
    assert box.isVisible()
    assert not box.isModal()
    return box.text()


def test_file_menu_has_one_export_action_per_format(window: MainWindow) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    export = next(a.menu() for a in file_menu.actions() if a.text() == "&Export")
    assert export.objectName() == "menuExport"
    texts = {a.objectName(): a.text().replace("&", "") for a in export.actions()}
    assert set(ENTRIES) == set(FORMATS)
    assert texts["actionExportPython"] == "PyTorch code (.py)…"
    assert texts["actionExportScript"] == "Training script for torchrun (train.py)…"
    assert texts["actionExportOnnx"] == "ONNX (.onnx)…"
    assert texts["actionExportTorchScript"] == "TorchScript (.pt)…"
    assert texts["actionExportPt2"] == "torch.export (.pt2)…"
    for name, fmt in FORMATS.items():
        action = window.findChild(QAction, ENTRIES[name].action)
        assert action.statusTip().lower() == fmt.description.lower()
        assert action.isEnabled()


def test_file_names_are_importable_module_names() -> None:
    assert file_slug("LeNet-5") == "lenet_5"
    assert file_slug("3 blocks") == "model_3_blocks"
    assert file_slug("—") == "model"


@pytest.mark.slow
def test_onnx_export_runs_in_onnxruntime_like_the_compiled_graph(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:
    ort = pytest.importorskip("onnxruntime")
    dialogs.path = str(tmp_path / "lenet")  # the suffix is added
    messages = trigger(qtbot, window, "actionExportOnnx")

    _caption, suggested, filters = dialogs.asked[0]
    assert Path(suggested).name == "lenet_5.onnx"
    assert "*.onnx" in filters
    target = tmp_path / "lenet.onnx"
    assert "weights: freshly initialised (seed 0)" in messages
    text = finished_text(window)
    assert str(target) in text
    assert "freshly initialised (seed 0)" in text
    assert dialogs.errors == []

    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    with torch.no_grad():
        expected = compile_graph(window.document.graph, seed=0).eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_python_export_writes_code_and_weights_of_the_unsaved_edit(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:
    window.document.push(SetParams("fc1", {"out_features": 97}))
    dialogs.path = str(tmp_path / "model.py")
    messages = trigger(qtbot, window, "actionExportPython")

    code, weights = tmp_path / "model.py", tmp_path / "model.safetensors"
    assert code.is_file()
    assert weights.is_file()
    assert "97" in code.read_text(encoding="utf-8")
    expected = compile_graph(window.document.graph, seed=0).state_dict()
    written = safetensors.torch.load_file(weights)
    assert written.keys() == expected.keys()
    for key, tensor in expected.items():
        torch.testing.assert_close(written[key], tensor)
    text = finished_text(window)
    assert str(code) in text
    assert str(weights) in text
    assert any(m.startswith("wrote ") for m in messages)
    # exporting is not saving: the document stays unsaved, nowhere but the export folder
    assert window.isWindowModified()
    assert window.document.project.path is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py", "model.safetensors"]


def test_an_invalid_graph_shows_its_errors_and_asks_for_no_file(
    qtbot, window: MainWindow, dialogs: Dialogs
) -> None:
    edge = window.document.graph.edges[0]
    window.document.push(Disconnect(edge))
    window.findChild(QAction, "actionExportOnnx").trigger()

    assert dialogs.asked == []
    assert not exporter(window).running
    (title, text), *_ = dialogs.errors
    assert title == "Cannot export"
    assert "The network has errors" in text
    first_error = window.document.analysis.analysis.errors[0].message
    assert first_error in text


@pytest.mark.parametrize(
    ("where", "cause"),
    [("missing/model.py", "does not exist"), ("x" * 300 + ".py", "name too long")],
    ids=["missing-folder", "name-too-long"],
)
def test_an_unwritable_path_shows_the_cause(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path, where: str, cause: str
) -> None:
    dialogs.path = str(tmp_path / where)
    trigger(qtbot, window, "actionExportPython")

    (title, text), *_ = dialogs.errors
    assert title == "Cannot export"
    assert cause in text.lower()
    assert window.findChild(QMessageBox, "exportFinished") is None
    assert list(tmp_path.iterdir()) == []
    assert window.findChild(QAction, "actionExportPython").isEnabled()


def test_a_bug_in_the_export_is_one_line_and_the_editor_goes_on(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(export_menu, "export_project", broken)
    dialogs.path = str(tmp_path / "model.pt")
    trigger(qtbot, window, "actionExportTorchScript")

    (_title, text), *_ = dialogs.errors
    assert "RuntimeError: boom" in text
    assert "please report this bug" in text
    assert "Traceback" not in text


def test_trained_weights_of_the_last_run_are_exported_unless_fresh_ones_are_asked_for(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:
    trained = compile_graph(window.document.graph, seed=7).state_dict()
    run = tmp_path / "runs" / "run-1"
    run.mkdir(parents=True)
    safetensors.torch.save_file(dict(trained), run / "last.safetensors")
    window.document.weights.pending = TrainedWeights(run / "last.safetensors", run, 3, 0.9)
    out = tmp_path / "out"
    out.mkdir()

    dialogs.path = str(out / "trained.py")
    messages = trigger(qtbot, window, "actionExportPython")
    assert "weights: trained (run run-1, epoch 3)" in messages
    assert "trained (run run-1, epoch 3)" in finished_text(window)
    written = safetensors.torch.load_file(out / "trained.safetensors")
    torch.testing.assert_close(written, dict(trained))

    window.findChild(QAction, "actionExportFreshWeights").setChecked(True)
    dialogs.path = str(out / "fresh.py")
    messages = trigger(qtbot, window, "actionExportPython")
    assert "weights: freshly initialised (seed 0)" in messages
    assert window.document.weights.pending is not None  # exporting adopted nothing


class StaleQuestion:
    """Answers the stale-weights question by clicking ``answer``; records the texts it showed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
        self.answer = answer
        self.texts: list[str] = []
        monkeypatch.setattr(QMessageBox, "exec", lambda box: self._exec(box))

    def _exec(self, box: QMessageBox) -> int:
        assert box.objectName() == "staleWeightsQuestion"
        self.texts.append(box.text())
        (button,) = [b for b in box.buttons() if b.text() == self.answer]
        button.click()
        return 0


@pytest.mark.parametrize("answer", ["Export without weights", "Cancel"])
def test_stale_trained_weights_are_named_and_can_be_left_out(
    qtbot,
    window: MainWindow,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    run = tmp_path / "runs" / "run-1"
    run.mkdir(parents=True)
    trained = compile_graph(window.document.graph, seed=7).state_dict()
    safetensors.torch.save_file(dict(trained), run / "last.safetensors")
    window.document.weights.pending = TrainedWeights(run / "last.safetensors", run, 3, 0.9)
    window.document.push(SetParams("fc1", {"out_features": 97}))
    question = StaleQuestion(monkeypatch, answer)
    target = tmp_path / "model.py"
    dialogs.path = str(target)

    if answer == "Cancel":
        assert not exporter(window).export("python")
        assert not exporter(window).running
        assert not target.exists()
    else:
        messages = trigger(qtbot, window, "actionExportPython")
        assert "weights: freshly initialised (seed 0)" in messages
        written = safetensors.torch.load_file(tmp_path / "model.safetensors")
        assert written["fc1.weight"].shape == (97, 400)
    (text,) = question.texts
    assert "fc1.weight is [120, 400] in the file but [97, 400] in the graph" in text
    assert dialogs.errors == []


def test_cancel_detaches_the_export_and_the_status_bar_says_what_it_wrote(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:
    menu = exporter(window)
    dialogs.path = str(tmp_path / "model.pt2")
    with qtbot.waitSignal(menu.finished, timeout=EXPORT_TIMEOUT_MS):
        window.findChild(QAction, "actionExportPt2").trigger()
        progress = window.findChild(QProgressDialog, "exportProgress")
        assert progress.isVisible()
        assert not progress.isModal()
        assert not window.findChild(QAction, "actionExportOnnx").isEnabled()  # one at a time
        progress.findChild(QPushButton).click()
        assert not progress.isVisible()
    assert window.findChild(QMessageBox, "exportFinished") is None
    assert dialogs.errors == []
    assert "model.pt2" in window.statusBar().currentMessage()
    assert window.findChild(QAction, "actionExportOnnx").isEnabled()


def test_closing_the_window_during_an_export_joins_its_thread(
    qtbot, window: MainWindow, dialogs: Dialogs, tmp_path: Path
) -> None:
    menu = exporter(window)
    dialogs.path = str(tmp_path / "model.pt")
    window.findChild(QAction, "actionExportTorchScript").trigger()
    assert menu.running
    window.document.undo_stack.setClean()
    with qtbot.waitSignal(menu.finished, timeout=EXPORT_TIMEOUT_MS):
        assert window.close()
    assert not menu.running
    assert (tmp_path / "model.pt").is_file()
