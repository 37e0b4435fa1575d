"""The inspector edits the selected block through undoable commands and follows the model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from cnnstudio.core.blocks import all_specs
from cnnstudio.core.commands import SetParams
from cnnstudio.core.graph import GraphModel, Node
from cnnstudio.core.project import Project
from cnnstudio.gui.analysis_model import AnalysisModel
from cnnstudio.gui.document import Document
from cnnstudio.gui.inspector import Inspector
from cnnstudio.gui.param_editors import (
    IntsEditor,
    NullableEditor,
    PaddingEditor,
    ShapeEditor,
)
from cnnstudio.gui.templates import new_project


@dataclass
class Doc:
    graph: GraphModel
    stack: QUndoStack
    analysis: AnalysisModel
    inspector: Inspector
    document: Document


@pytest.fixture
def doc(qtbot) -> Iterator[Doc]:
    document = Document(new_project("lenet5"))
    inspector = Inspector()
    qtbot.addWidget(inspector)
    inspector.set_document(document)
    yield Doc(document.graph, document.undo_stack, document.analysis, inspector, document)
    document.close()


def _enter(qtbot, widget, text: str) -> None:
    widget.selectAll()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_placeholder_until_one_node_is_selected(doc: Doc) -> None:
    assert doc.inspector.pages.currentIndex() == 0
    doc.inspector.show_nodes(["conv1", "conv2"])
    assert doc.inspector.pages.currentIndex() == 0
    assert "2 blocks selected" in doc.inspector.placeholder.text()
    doc.inspector.show_nodes(["conv1"])
    assert doc.inspector.pages.currentIndex() == 1
    assert doc.inspector.title.text() == "conv1"
    assert "Conv2d" in doc.inspector.subtitle.text()
    assert "convolution" in doc.inspector.help.text()


def test_typed_value_changes_analysis_in_one_step_and_undo_restores(qtbot, doc: Doc) -> None:
    doc.inspector.show_nodes(["conv1"])
    assert doc.inspector.output_value.text() == "6x28x28"
    assert doc.inspector.params_value.text() == "156"
    spin = doc.inspector.editor("out_channels").spin
    _enter(qtbot, spin.lineEdit(), "32")
    assert doc.graph.node("conv1").params["out_channels"] == 32
    assert doc.stack.count() == 1  # typing "32" is one change, not "3" then "32"
    assert doc.analysis.analysis.nodes["conv1"].output_shape == (32, 28, 28)
    qtbot.waitUntil(lambda: doc.inspector.output_value.text() == "32x28x28")
    assert doc.inspector.params_value.text() == f"{32 * 25 + 32:,}"
    doc.stack.undo()
    assert doc.graph.node("conv1").params["out_channels"] == 6
    assert spin.value() == 6  # the form follows the model
    qtbot.waitUntil(lambda: doc.inspector.output_value.text() == "6x28x28")


def test_arrow_steps_merge_into_one_undo_step(doc: Doc) -> None:
    doc.inspector.show_nodes(["fc1"])
    spin = doc.inspector.editor("out_features").spin
    spin.stepBy(1)
    spin.stepBy(1)
    spin.stepBy(1)
    assert doc.graph.node("fc1").params["out_features"] == 123
    assert doc.stack.count() == 1
    doc.stack.undo()
    assert doc.graph.node("fc1").params["out_features"] == 120


def test_each_parameter_change_is_its_own_step(doc: Doc) -> None:
    doc.inspector.show_nodes(["conv1"])
    doc.inspector.editor("out_channels").spin.setValue(8)
    doc.inspector.editor("bias").check.setChecked(False)
    doc.inspector.editor("padding_mode").combo.setCurrentText("reflect")
    assert doc.stack.count() == 3
    assert doc.graph.node("conv1").params["padding_mode"] == "reflect"
    assert doc.graph.node("conv1").params["bias"] is False
    doc.stack.undo()
    assert doc.inspector.editor("padding_mode").combo.currentText() == "zeros"


def test_rename_refuses_duplicates_and_bad_ids(qtbot, doc: Doc) -> None:
    doc.inspector.show_nodes(["conv1"])
    edit = doc.inspector.id_edit
    messages: list[str] = []
    doc.inspector.status_message.connect(messages.append)
    _enter(qtbot, edit, "conv2")
    assert "already exists" in doc.inspector.refusal.text()
    assert "conv2" in messages[-1]
    assert edit.text() == "conv1"
    assert "conv1" in doc.graph
    _enter(qtbot, edit, "1st")
    assert "invalid node id" in doc.inspector.refusal.text()
    assert doc.stack.count() == 0
    _enter(qtbot, edit, "features")
    assert "features" in doc.graph
    assert "conv1" not in doc.graph
    assert doc.inspector.title.text() == "features"
    assert doc.inspector.refusal.text() == ""
    doc.stack.undo()
    assert "conv1" in doc.graph
    assert edit.text() == "conv1"  # the form follows an undone rename


def test_pair_editor_links_and_unlinks(doc: Doc) -> None:
    doc.inspector.show_nodes(["conv2"])
    editor = doc.inspector.editor("kernel_size")
    assert isinstance(editor, IntsEditor)
    assert editor.linked
    editor.spins[0].setValue(3)
    assert editor.spins[1].value() == 3
    assert doc.graph.node("conv2").params["kernel_size"] == 3
    editor.link.setChecked(False)
    editor.spins[1].setValue(1)
    assert doc.graph.node("conv2").params["kernel_size"] == [3, 1]
    assert doc.analysis.analysis.nodes["conv2"].output_shape == (16, 12, 14)
    editor.link.setChecked(True)  # linking makes both sides equal again
    assert doc.graph.node("conv2").params["kernel_size"] == 3


def test_padding_editor_offers_same_and_valid(doc: Doc) -> None:
    doc.inspector.show_nodes(["conv2"])
    editor = doc.inspector.editor("padding")
    assert isinstance(editor, PaddingEditor)
    editor.mode.setCurrentText("same")
    assert doc.graph.node("conv2").params["padding"] == "same"
    assert editor.amount.isHidden()
    assert doc.analysis.analysis.nodes["conv2"].output_shape == (16, 14, 14)
    editor.mode.setCurrentText("explicit")
    editor.amount.spins[0].setValue(2)
    assert doc.graph.node("conv2").params["padding"] == 2


def test_nullable_parameter_can_be_emptied(doc: Doc) -> None:
    doc.inspector.show_nodes(["pool1"])
    editor = doc.inspector.editor("stride")
    assert isinstance(editor, NullableEditor)
    assert not editor.enabled.isChecked()
    assert editor.inner.isHidden()
    assert not editor.empty.isHidden()
    editor.enabled.setChecked(True)
    assert not editor.inner.isHidden()
    assert doc.graph.node("pool1").params["stride"] == 1
    assert doc.analysis.analysis.nodes["pool1"].output_shape == (6, 27, 27)
    editor.enabled.setChecked(False)
    assert doc.graph.node("pool1").params["stride"] is None


def test_input_shape_editor_accepts_and_refuses(qtbot, doc: Doc) -> None:
    doc.inspector.show_nodes(["input"])
    editor = doc.inspector.editor("shape")
    assert isinstance(editor, ShapeEditor)
    assert editor.edit.text() == "1, 28, 28"
    _enter(qtbot, editor.edit, "3x32x32")
    assert doc.graph.node("input").params["shape"] == [3, 32, 32]
    qtbot.waitUntil(lambda: doc.inspector.output_value.text() == "3x32x32")
    _enter(qtbot, editor.edit, "3, 0, 32")
    assert "positive integers" in doc.inspector.refusal.text()
    assert editor.edit.text() == "3, 32, 32"
    assert doc.graph.node("input").params["shape"] == [3, 32, 32]


def test_float_editor_takes_exponents(qtbot) -> None:
    graph = GraphModel.from_parts([Node("bn", "BatchNorm2d")], [])
    document, inspector = Document(Project(graph=graph)), Inspector()
    qtbot.addWidget(inspector)
    inspector.set_document(document)
    inspector.show_nodes(["bn"])
    spin = inspector.editor("eps").spin
    assert spin.text() == "1e-05"
    _enter(qtbot, spin.lineEdit(), "2e-3")
    assert graph.node("bn").params["eps"] == pytest.approx(2e-3)
    document.close()


def test_error_message_and_edits_made_elsewhere_show(qtbot, doc: Doc) -> None:
    doc.inspector.show_nodes(["conv2"])
    assert doc.inspector.message.text() == ""
    doc.document.push(SetParams("conv2", {"out_channels": 20}))
    assert doc.inspector.editor("out_channels").spin.value() == 20
    doc.document.push(SetParams("input", {"shape": [1, 8, 8]}))  # conv2 gets 6x4x4
    qtbot.waitUntil(lambda: "conv2 (Conv2d)" in doc.inspector.message.text())
    assert doc.inspector.message.property("role") == "error"
    assert doc.inspector.output_value.text() == "?"


def test_read_only_document_disables_the_fields_and_says_why(qtbot, doc: Doc) -> None:
    inspector = doc.inspector
    inspector.show_nodes(["conv1"])
    doc.document.set_read_only("training is running")
    spin = inspector.editor("out_channels").spin
    assert not spin.isEnabled()
    assert not inspector.id_edit.isEnabled()
    assert inspector.read_only_note.isVisibleTo(inspector)
    assert "training is running" in inspector.read_only_note.text()
    qtbot.keyClick(spin, Qt.Key.Key_Up)  # a disabled field takes no keys
    assert doc.graph.node("conv1").params["out_channels"] == 6
    inspector.show_nodes(["conv2"])  # a form built while read-only is disabled too
    assert not inspector.editor("out_channels").spin.isEnabled()
    doc.document.set_read_only(None)
    assert inspector.editor("out_channels").spin.isEnabled()
    assert not inspector.read_only_note.isVisibleTo(inspector)


def test_follows_the_documents_selection(doc: Doc) -> None:
    doc.document.set_selection(["pool1"])
    assert doc.inspector.node_id == "pool1"
    doc.document.set_selection(["pool1", "conv1"])
    assert doc.inspector.node_id is None
    assert doc.inspector.placeholder.text() == "2 blocks selected."


def test_removing_the_shown_node_clears_the_form(doc: Doc) -> None:
    doc.inspector.show_nodes(["relu1"])
    doc.graph.remove_node("relu1")
    assert doc.inspector.node_id is None
    assert doc.inspector.pages.currentIndex() == 0


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_every_block_gets_a_form_showing_its_defaults(qtbot, spec) -> None:
    graph = GraphModel.from_parts([Node("n", spec.type)], [])
    document, inspector = Document(Project(graph=graph)), Inspector()
    qtbot.addWidget(inspector)
    inspector.set_document(document)
    inspector.show_nodes(["n"])
    assert set(inspector.editors) == {p.name for p in spec.params}
    for param in spec.params:
        editor = inspector.editor(param.name)
        assert editor.value() == param.default, param.name
        assert editor.toolTip().startswith(param.help)
    assert inspector.no_params.isHidden() == bool(spec.params)
    document.close()
