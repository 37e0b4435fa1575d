"""Undoable commands: ``undo`` restores the exact serialised state, ``do`` again reapplies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cnnstudio.core.commands import (
    AddNode,
    Command,
    Connect,
    Disconnect,
    Macro,
    Move,
    RemoveNode,
    Rename,
    SetParams,
    remove_nodes,
)
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import graph_to_dict

Check = Callable[[dict[str, Any]], bool]


def _ids(state: dict[str, Any]) -> list[str]:
    return [n["id"] for n in state["nodes"]]


def _edges(state: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(e["source"], e["target"], e["target_port"]) for e in state["edges"]]


def _node(state: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in state["nodes"] if n["id"] == node_id)


CASES: list[tuple[str, Command, Check]] = [
    (
        "add",
        AddNode(Node("bn", "BatchNorm2d", {"eps": 1e-3}, (5.0, 6.0))),
        lambda s: _ids(s)[-1] == "bn" and _node(s, "bn")["position"] == [5, 6],
    ),
    (
        "remove middle node",
        RemoveNode("relu1"),
        lambda s: "relu1" not in _ids(s) and ("conv1", "add1", 1) in _edges(s),
    ),
    (
        "connect free port",
        Connect(Edge("input", "add1", 2)),
        lambda s: ("input", "add1", 2) in _edges(s),
    ),
    (
        "connect occupied port",
        Connect(Edge("input", "add1", 1)),
        lambda s: ("input", "add1", 1) in _edges(s) and ("conv1", "add1", 1) not in _edges(s),
    ),
    ("disconnect", Disconnect(Edge("conv1", "add1", 1)), lambda s: len(_edges(s)) == 6),
    (
        "set params",
        SetParams("conv1", {"kernel_size": 5, "padding": 2}),
        lambda s: (
            _node(s, "conv1")["params"] == {"out_channels": 8, "padding": 2, "kernel_size": 5}
        ),
    ),
    (
        "rename",
        Rename("conv1", "stem"),
        lambda s: _ids(s)[1] == "stem" and ("stem", "add1", 1) in _edges(s),
    ),
    (
        "move two",
        Move({"conv1": (1.5, 2.0), "fc": (3.0, 4.0)}),
        lambda s: (
            _node(s, "conv1")["position"] == [1.5, 2] and _node(s, "fc")["position"] == [3, 4]
        ),
    ),
    (
        "macro",
        Macro("Insert BN", [AddNode(Node("bn", "BatchNorm2d")), Connect(Edge("conv1", "bn"))]),
        lambda s: ("conv1", "bn", 0) in _edges(s),
    ),
]


@pytest.mark.parametrize(("name", "command", "check"), CASES, ids=[c[0] for c in CASES])
def test_do_undo_redo_restore_exact_states(
    residual: GraphModel, name: str, command: Command, check: Check
) -> None:
    before = graph_to_dict(residual)
    command.do(residual)
    after = graph_to_dict(residual)
    assert after != before
    assert check(after)
    command.undo(residual)
    assert graph_to_dict(residual) == before
    command.do(residual)
    assert graph_to_dict(residual) == after
    command.undo(residual)
    assert graph_to_dict(residual) == before


def test_remove_node_undo_puts_it_back_in_its_place(residual: GraphModel) -> None:
    order = [n.id for n in residual]
    command = RemoveNode("conv1")
    command.do(residual)
    command.undo(residual)
    assert [n.id for n in residual] == order
    assert residual.topological_order() == order


def test_connect_of_an_existing_edge_undoes_to_the_same_graph(residual: GraphModel) -> None:
    before = graph_to_dict(residual)
    command = Connect(Edge("conv1", "add1", 1))
    command.do(residual)
    command.undo(residual)
    assert graph_to_dict(residual) == before


def test_failing_command_changes_nothing(residual: GraphModel) -> None:
    before = graph_to_dict(residual)
    for command in (
        Connect(Edge("add1", "conv1")),
        SetParams("conv1", {"stride": 0}),
        Rename("conv1", "relu1"),
        AddNode(Node("conv1", "ReLU")),
        RemoveNode("ghost"),
        Disconnect(Edge("input", "fc")),
        Move({"ghost": (0, 0)}),
    ):
        with pytest.raises(GraphError):
            command.do(residual)
        assert graph_to_dict(residual) == before


def test_macro_rolls_back_when_a_step_fails(residual: GraphModel) -> None:
    before = graph_to_dict(residual)
    macro = Macro(
        "Bad edit",
        [
            AddNode(Node("bn", "BatchNorm2d")),
            Rename("relu1", "act"),
            Connect(Edge("conv1", "bn")),
            Connect(Edge("add1", "conv1")),  # a cycle: fails
            Rename("fc", "head"),
        ],
    )
    with pytest.raises(GraphError, match="would create a cycle"):
        macro.do(residual)
    assert graph_to_dict(residual) == before


def test_remove_nodes_deletes_a_selection_as_one_undoable_step(residual: GraphModel) -> None:
    before = graph_to_dict(residual)
    macro = remove_nodes(
        residual,
        ["relu1", "ghost", "relu1", "fc"],
        [Edge("conv1", "add1", 1), Edge("conv1", "add1", 1), Edge("relu1", "add1"), Edge("x", "y")],
    )
    assert macro.text == "Delete 3 items"
    macro.do(residual)
    after = graph_to_dict(residual)
    assert _ids(after) == ["input", "conv1", "add1", "flat", "out"]
    assert _edges(after) == [("add1", "flat", 0), ("input", "conv1", 0)]
    macro.undo(residual)
    assert graph_to_dict(residual) == before
    macro.do(residual)
    assert graph_to_dict(residual) == after


def test_remove_nodes_names_a_single_item(residual: GraphModel) -> None:
    assert remove_nodes(residual, ["fc"]).text == "Delete fc"
    edge = Edge("conv1", "add1", 1)
    assert remove_nodes(residual, [], [edge]).text == "Disconnect conv1 → add1"


def test_command_texts_name_what_they_do() -> None:
    assert AddNode(Node("c", "ReLU")).text == "Add c"
    assert SetParams("c", {"p": 1, "q": 2}).text == "Change p, q of c"
    assert Rename("a", "b").text == "Rename a to b"
    assert Move({"a": (0, 0)}).text == "Move a"
    assert Move({"a": (0, 0), "b": (1, 1)}).text == "Move 2 nodes"
