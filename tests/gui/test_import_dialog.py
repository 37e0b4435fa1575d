"""File > Import PyTorch Model…: a user's module opens as a new project with its weights."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import safetensors.torch
import torch
from PySide6.QtWidgets import QCheckBox, QDialog, QMessageBox

from cnnstudio.gui.import_dialog import ImportDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

MODELS = textwrap.dedent(
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Small(nn.Module):
        def __init__(self, classes=10):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.fc = nn.Linear(4 * 14 * 14, classes)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv(x)), 2)
            return self.fc(torch.flatten(x, 1))

    class Unit(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 3, padding=1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.conv(x))

    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(Unit(1, 4), Unit(4, 8))
            self.fc = nn.Linear(8 * 28 * 28, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.body(x), 1))

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 8)

        def forward(self, x):
            out, _ = self.lstm(x)
            return out
    """
)


def _answer(
    monkeypatch: pytest.MonkeyPatch,
    file: Path,
    name: str,
    arguments: str = "",
    flat: bool = False,
) -> None:
    """The dialog, filled in and accepted the way a user would."""

    def exec_(dialog: ImportDialog) -> int:
        dialog.file.setText(str(file))
        dialog.name.setText(name)
        dialog.arguments.setText(arguments)
        dialog.shape.setText("1,28,28")
        if flat:
            dialog.findChild(QCheckBox, "importFlat").click()
        dialog.buttons.accepted.emit()
        return dialog.result()

    monkeypatch.setattr(ImportDialog, "exec", exec_)


def test_an_imported_module_opens_as_a_new_project_with_its_weights(
    qtbot, shown_window, monkeypatch, tmp_path: Path
) -> None:
    window = shown_window()
    window.document.undo_stack.setClean()
    source = tmp_path / "models.py"
    source.write_text(MODELS, encoding="utf-8")
    _answer(monkeypatch, source, "Small", "classes=10")
    with qtbot.waitSignal(window.importer.imported, timeout=120_000):
        window.findChild(type(window.action_open), "actionImportModel").trigger()
    doc = window.document
    types = sorted(n.type for n in doc.graph)
    assert types == sorted(["Input", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "Output"])
    assert doc.analysis.analysis.valid
    assert doc.analysis.analysis.output_shape == (10,)
    assert doc.path is None  # a new, unsaved project
    assert doc.modified
    target = tmp_path / "small.cnnstudio"
    assert window.save_project(target)
    saved = safetensors.torch.load_file(target.with_suffix(".safetensors"))
    assert saved["conv.weight"].shape == torch.Size([4, 1, 3, 3])


def test_a_module_that_cannot_be_imported_says_why_and_keeps_the_document(
    qtbot, shown_window, monkeypatch, tmp_path: Path
) -> None:
    window = shown_window()
    window.document.undo_stack.setClean()
    before = window.document
    source = tmp_path / "models.py"
    source.write_text(MODELS, encoding="utf-8")
    _answer(monkeypatch, source, "Recurrent")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    with qtbot.waitSignal(window.importer.failed, timeout=120_000):
        window.action_import.trigger()
    assert window.document is before
    assert len(shown) == 1
    assert "LSTM" in shown[0]
    assert "lstm" in shown[0]  # its module path


def test_the_dialog_names_the_field_that_is_wrong(qtbot, tmp_path: Path) -> None:
    dialog = ImportDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.file.setText(str(tmp_path / "missing.py"))
    dialog.buttons.accepted.emit()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.problem.text().startswith("Python file: ")
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    dialog.file.setText(str(tmp_path / "m.py"))
    dialog.name.setText("Net")
    dialog.shape.setText("3,x")
    dialog.buttons.accepted.emit()
    assert dialog.problem.text().startswith("Input shape: ")


@pytest.mark.parametrize("flat", [False, True])
def test_submodules_import_as_groups_unless_flat_is_checked(
    qtbot, shown_window, monkeypatch, tmp_path: Path, flat: bool
) -> None:
    window = shown_window()
    source = tmp_path / "models.py"
    source.write_text(MODELS, encoding="utf-8")
    _answer(monkeypatch, source, "Stacked", flat=flat)
    with qtbot.waitSignal(window.importer.imported, timeout=120_000):
        window.action_import.trigger()
    graph = window.document.graph
    assert window.document.analysis.analysis.valid
    if flat:
        assert len(graph.definitions) == 0
        assert [n.id for n in graph if n.type == "Conv2d"] == ["body_0_conv", "body_1_conv"]
    else:
        assert graph.definitions.names == ["Unit"]
        groups = [(n.id, n.definition, n.params) for n in graph if n.is_group]
        assert groups == [("body_0", "Unit", {}), ("body_1", "Unit", {"cout": 8})]
        assert [n.id for n in graph.definitions.get("Unit").graph] == ["conv", "relu"]
