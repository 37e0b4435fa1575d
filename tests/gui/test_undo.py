"""The Qt undo stack over core commands: refusals, merging, read-only mode."""

from __future__ import annotations

from PySide6.QtGui import QUndoStack

from cnnstudio.core.commands import AddNode, Connect, Move, SetParams
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, graph_to_dict
from cnnstudio.gui.document import Document


def _chain() -> GraphModel:
    g = GraphModel()
    g.add_node(Node("input", "Input", {"shape": [1, 28, 28]}))
    g.add_node(Node("conv", "Conv2d", {"out_channels": 4}))
    g.connect(Edge("input", "conv"))
    return g


def _document() -> tuple[Document, GraphModel, QUndoStack]:
    document = Document(Project(graph=_chain()))
    return document, document.graph, document.undo_stack


def test_push_does_once_and_undo_redo_restore_exactly(qtbot):
    doc, g, stack = _document()
    before = graph_to_dict(g)
    assert doc.push(AddNode(Node("relu", "ReLU", {}, (10, 20)))) is None
    assert doc.push(Connect(Edge("conv", "relu"))) is None
    after = graph_to_dict(g)
    assert stack.count() == 2
    assert [n.id for n in g.nodes] == ["input", "conv", "relu"]  # done once, not twice
    stack.undo()
    stack.undo()
    assert graph_to_dict(g) == before
    stack.redo()
    stack.redo()
    assert graph_to_dict(g) == after
    assert stack.undoText() == "Connect conv → relu"


def test_refused_command_leaves_stack_and_graph_alone(qtbot):
    doc, g, stack = _document()
    before = graph_to_dict(g)
    message = doc.push(Connect(Edge("conv", "input")))
    assert message is not None
    assert "input" in message
    message = doc.push(SetParams("conv", {"out_channels": 0}))
    assert message is not None
    assert "out_channels" in message
    assert stack.count() == 0
    assert graph_to_dict(g) == before


def test_same_merge_key_makes_one_step(qtbot):
    doc, g, stack = _document()
    for i in range(1, 4):
        doc.push(Move({"conv": (10.0 * i, 0.0)}), merge_key="nudge 0 conv")
    doc.push(Move({"conv": (99.0, 0.0)}), merge_key="nudge 1 conv")
    assert stack.count() == 2
    stack.undo()
    assert g.node("conv").position == (30.0, 0.0)
    stack.undo()
    assert g.node("conv").position == (0.0, 0.0)
    stack.redo()
    assert g.node("conv").position == (30.0, 0.0)


def test_read_only_refuses_network_edits_but_not_moves(qtbot):
    doc, g, stack = _document()
    guard = doc.guard
    with qtbot.waitSignal(guard.read_only_changed) as blocker:
        guard.set_read_only("training is running")
    assert blocker.args == ["training is running"]
    message = doc.push(SetParams("conv", {"out_channels": 8}))
    assert message == "The graph cannot be edited while training is running."
    assert g.node("conv").params["out_channels"] == 4
    assert doc.push(Move({"conv": (5.0, 5.0)})) is None
    guard.set_read_only(None)
    assert doc.push(SetParams("conv", {"out_channels": 8})) is None
    assert stack.count() == 2
