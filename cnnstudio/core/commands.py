"""Undoable edits of a GraphModel, free of Qt so any front end (or a test) can replay them.

Each command changes the model only; views follow the model's signals. ``do`` may raise
GraphError (nothing changed then); ``undo`` restores the exact previous state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from cnnstudio.core.graph import Edge, GraphModel, Node


class Command(ABC):
    text: str = ""

    @abstractmethod
    def do(self, graph: GraphModel) -> None: ...

    @abstractmethod
    def undo(self, graph: GraphModel) -> None: ...


class AddNode(Command):
    def __init__(self, node: Node) -> None:
        self.node = node.copy()
        self.text = f"Add {node.id}"

    def do(self, graph: GraphModel) -> None:
        graph.add_node(self.node.copy())

    def undo(self, graph: GraphModel) -> None:
        graph.remove_node(self.node.id)


class RemoveNode(Command):
    """Removes a node with its edges; undo brings both back, each edge on its old port."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.text = f"Delete {node_id}"
        self._node: Node | None = None
        self._index = 0
        self._edges: list[Edge] = []

    def do(self, graph: GraphModel) -> None:
        self._index = graph.index(self.node_id)
        self._edges = graph.inputs_of(self.node_id) + graph.outputs_of(self.node_id)
        self._node = graph.remove_node(self.node_id).copy()

    def undo(self, graph: GraphModel) -> None:
        assert self._node is not None
        graph.add_node(self._node.copy(), self._index)
        for e in self._edges:
            graph.connect(e)


class Connect(Command):
    """Adds an edge, replacing whatever fed that port before (undo puts it back).

    Connecting an edge that already exists changes nothing, so its undo changes nothing either.
    """

    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.text = f"Connect {edge.source} → {edge.target}"
        self._replaced: Edge | None = None
        self._added = False

    def do(self, graph: GraphModel) -> None:
        self._added = not graph.has_edge(self.edge)
        self._replaced = graph.connect(self.edge)

    def undo(self, graph: GraphModel) -> None:
        if not self._added:
            return
        graph.disconnect(self.edge)
        if self._replaced is not None:
            graph.connect(self._replaced)


class Disconnect(Command):
    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.text = f"Disconnect {edge.source} → {edge.target}"

    def do(self, graph: GraphModel) -> None:
        graph.disconnect(self.edge)

    def undo(self, graph: GraphModel) -> None:
        graph.connect(self.edge)


class SetParams(Command):
    def __init__(self, node_id: str, params: dict[str, Any]) -> None:
        self.node_id = node_id
        self.params = dict(params)
        self.text = f"Change {', '.join(params)} of {node_id}"
        self._old: dict[str, Any] | None = None

    def do(self, graph: GraphModel) -> None:
        self._old = graph.set_params(self.node_id, self.params)

    def undo(self, graph: GraphModel) -> None:
        assert self._old is not None
        graph.set_params(self.node_id, self._old, replace=True)


class Rename(Command):
    def __init__(self, old_id: str, new_id: str) -> None:
        self.old_id, self.new_id = old_id, new_id
        self.text = f"Rename {old_id} to {new_id}"

    def do(self, graph: GraphModel) -> None:
        graph.rename(self.old_id, self.new_id)

    def undo(self, graph: GraphModel) -> None:
        graph.rename(self.new_id, self.old_id)


class Move(Command):
    """Moves nodes to new positions (one step for a whole dragged selection)."""

    def __init__(
        self,
        moves: dict[str, tuple[float, float]],
        old: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        self.moves = dict(moves)
        self.old = dict(old) if old is not None else None
        self.text = "Move " + (next(iter(moves)) if len(moves) == 1 else f"{len(moves)} nodes")

    def do(self, graph: GraphModel) -> None:
        if self.old is None:
            self.old = {n: graph.node(n).position for n in self.moves}
        for n, pos in self.moves.items():
            graph.move(n, pos)

    def undo(self, graph: GraphModel) -> None:
        assert self.old is not None
        for n, pos in self.old.items():
            graph.move(n, pos)


class Macro(Command):
    """Several commands as one step; if one fails, those already done are undone."""

    def __init__(self, text: str, commands: Sequence[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def do(self, graph: GraphModel) -> None:
        done: list[Command] = []
        try:
            for c in self.commands:
                c.do(graph)
                done.append(c)
        except Exception:
            for c in reversed(done):
                c.undo(graph)
            raise

    def undo(self, graph: GraphModel) -> None:
        for c in reversed(self.commands):
            c.undo(graph)


def remove_nodes(graph: GraphModel, node_ids: Sequence[str], edges: Sequence[Edge] = ()) -> Macro:
    """Delete a selection of nodes and edges as one step.

    Selected edges between kept nodes go first, then the nodes with their own edges; missing
    and repeated items are skipped, so a stale selection cannot make the step fail.
    """
    ids = list(dict.fromkeys(n for n in node_ids if n in graph))
    gone = set(ids)
    loose = [
        e
        for e in dict.fromkeys(edges)
        if graph.has_edge(e) and e.source not in gone and e.target not in gone
    ]
    commands: list[Command] = [Disconnect(e) for e in loose]
    commands += [RemoveNode(n) for n in ids]
    text = commands[0].text if len(commands) == 1 else f"Delete {len(commands)} items"
    return Macro(text, commands)
