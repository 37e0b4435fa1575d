"""Undoable group edits: group a selection, ungroup, make unique, edit a definition, repeat.

Like ``core/commands.py`` these change the model only (the graph and its ``Definitions``); views
follow the signals. Edits inside a group are ordinary commands run on ``definition.graph``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnnstudio.core.commands import Command
from cnnstudio.core.errors import GraphError, quote
from cnnstudio.core.graph import (
    GROUP,
    Definition,
    Edge,
    ExposedParam,
    GraphModel,
    InputPort,
    Node,
)

BOUNDARY_TYPES = ("Input", "Output")  # the model's ends stay in the main graph


@dataclass(frozen=True)
class Boundary:
    """How a selection is wired to the rest: one input port per outside source feeding it, in
    the order of the inner blocks they reach, and the one inner node whose tensor leaves it."""

    sources: list[str]  # outside node feeding input port i
    inputs: list[InputPort]
    output: str
    leaving: list[Edge]  # edges from ``output`` to nodes outside


def boundary(graph: GraphModel, node_ids: Sequence[str]) -> Boundary:
    """The ports a group of ``node_ids`` gets; raises GraphError when it cannot be one group."""
    ids = [n.id for n in graph if n.id in set(node_ids)]
    missing = [n for n in node_ids if n not in graph]
    if missing:
        raise GraphError(f"no node named {quote(missing[0])}")
    if not ids:
        raise GraphError("select the blocks to group first")
    chosen = set(ids)
    for n in ids:
        if graph.node(n).type in BOUNDARY_TYPES:
            raise GraphError(f"{graph.label(n)} cannot go inside a group; leave it out")
    entering: dict[str, list[tuple[str, int]]] = {}
    for n in ids:
        for e in graph.inputs_of(n):
            if e.source not in chosen:
                entering.setdefault(e.source, []).append((e.target, e.target_port))
    if not entering:
        raise GraphError("the selection gets no input from outside; connect it first")
    leaving = [e for n in ids for e in graph.outputs_of(n) if e.target not in chosen]
    outputs = list(dict.fromkeys(e.source for e in leaving))
    if not outputs:
        outputs = [n for n in ids if not any(e.target in chosen for e in graph.outputs_of(n))]
    if len(outputs) != 1:
        raise GraphError(
            "a group has one output, but "
            + " and ".join(outputs[:3])
            + (" feed blocks outside the selection" if leaving else " end the selection")
        )
    # A path that leaves the selection and comes back would make the group feed itself.
    for e in leaving:
        for src in entering:
            if graph.has_path(e.target, src):
                raise GraphError(
                    f"{e.target} lies between selected blocks; select it too or leave out the "
                    "blocks after it"
                )
    rank = {n: i for i, n in enumerate(ids)}
    sources = sorted(entering, key=lambda s: min((rank[t], p) for t, p in entering[s]))
    inputs = []
    for src in sources:
        targets = tuple(sorted(entering[src], key=lambda tp: (rank[tp[0]], tp[1])))
        node, port = targets[0]
        inputs.append(InputPort(node if port == 0 else f"{node}.{port}", targets))
    return Boundary(sources, inputs, outputs[0], leaving)


class GroupNodes(Command):
    """Replace a selection by an instance (``instance_id``) of a new definition ``name``.

    Inner blocks keep their ids, params and positions, so ``Ungroup`` (or undo) restores them.
    """

    def __init__(
        self,
        node_ids: Sequence[str],
        name: str,
        instance_id: str | None = None,
        params: Sequence[ExposedParam] = (),
    ) -> None:
        self.node_ids = list(node_ids)
        self.name = name
        self.instance_id = instance_id
        self.params = list(params)
        self.text = f"Group {len(self.node_ids)} blocks as {name}"
        self._removed: list[tuple[int, Node]] = []
        self._edges: list[Edge] = []

    def do(self, graph: GraphModel) -> None:
        b = boundary(graph, self.node_ids)
        chosen = {n.id for n in graph if n.id in set(self.node_ids)}
        nodes, inner_edges = graph.subgraph(chosen)
        inner = GraphModel.from_parts(nodes, inner_edges, graph.definitions)
        definition = Definition(self.name, inner, b.inputs, b.output, list(self.params))
        if self.params:
            definition.defaults()  # every binding names a block parameter
        instance = self.instance_id or graph.new_id(self.name)
        if instance in graph and instance not in chosen:
            raise GraphError(f"a node named {quote(instance)} already exists")
        self.instance_id = instance
        self._removed = [(graph.index(n.id), n.copy()) for n in nodes]
        self._edges = sorted({e for n in chosen for e in graph.inputs_of(n) + graph.outputs_of(n)})
        xs = [n.position[0] for n in nodes]
        ys = [n.position[1] for n in nodes]
        graph.definitions.add(definition)
        for _, n in reversed(self._removed):
            graph.remove_node(n.id)
        group = Node(instance, GROUP, {}, (sum(xs) / len(xs), sum(ys) / len(ys)), self.name)
        graph.add_node(group, self._removed[0][0])
        for port, src in enumerate(b.sources):
            graph.connect(Edge(src, instance, port))
        for e in b.leaving:
            graph.connect(Edge(instance, e.target, e.target_port))

    def undo(self, graph: GraphModel) -> None:
        assert self.instance_id is not None
        graph.remove_node(self.instance_id)
        graph.definitions.remove(self.name)
        for index, n in self._removed:
            graph.add_node(n.copy(), index)
        for e in self._edges:
            graph.connect(e)


def unrolled(
    graph: GraphModel, node_id: str
) -> tuple[list[Node], list[Edge], dict[str, str], dict[int, list[tuple[str, int]]], str]:
    """The blocks a group stands for, ready to put in ``graph`` in its place.

    Returns nodes (ids kept where free, else prefixed with the instance id and the repeat
    index), the edges among them, the id map of the last repetition, where each input port
    lands, and the node giving the output. The instance's parameter values are written into the
    bound blocks, and positions follow the group node when it was moved.
    """
    node = graph.node(node_id)
    definition = graph.definitions.get(node.definition)
    inner = definition.instantiate(node.params)
    anchor = _centre(list(inner))
    dx, dy = node.position[0] - anchor[0], node.position[1] - anchor[1]
    taken = {n.id for n in graph} - {node_id}
    nodes: list[Node] = []
    edges: list[Edge] = []
    landing: dict[int, list[tuple[str, int]]] = {}
    previous = ""
    names: dict[str, str] = {}
    for rep in range(node.repeat):
        names = {}
        for n in inner:
            base = n.id if node.repeat == 1 else f"{node_id}_{rep}_{n.id}"
            new = base
            i = 1
            while new in taken:
                i += 1
                new = f"{node_id}_{base}" if i == 2 else f"{node_id}_{base}_{i}"
            taken.add(new)
            names[n.id] = new
            shift = 60.0 * rep
            copy = n.copy()
            copy.id, copy.position = new, (n.position[0] + dx + shift, n.position[1] + dy + shift)
            nodes.append(copy)
        edges += [Edge(names[e.source], names[e.target], e.target_port) for e in inner.edges]
        for port, p in enumerate(definition.inputs):
            targets = [(names[t], i) for t, i in p.targets]
            if rep == 0:
                landing[port] = targets
            else:
                edges += [Edge(previous, t, i) for t, i in targets]
        previous = names[definition.output]
    return nodes, edges, names, landing, previous


def _centre(nodes: list[Node]) -> tuple[float, float]:
    if not nodes:
        return (0.0, 0.0)
    return (
        sum(n.position[0] for n in nodes) / len(nodes),
        sum(n.position[1] for n in nodes) / len(nodes),
    )


class Ungroup(Command):
    """Replace a group instance by its blocks; the definition goes too when nothing else uses it.

    A group from ``GroupNodes`` comes back exactly as it was: ids, params, positions, edges.
    """

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.text = f"Ungroup {node_id}"
        self._node: Node | None = None
        self._index = 0
        self._edges: list[Edge] = []
        self._added: list[str] = []
        self._definition: tuple[int, Definition] | None = None

    def do(self, graph: GraphModel) -> None:
        node = graph.node(self.node_id)
        if not node.is_group:
            raise GraphError(f"{graph.label(self.node_id)} is not a group")
        nodes, edges, _, landing, output = unrolled(graph, self.node_id)
        self._node, self._index = node.copy(), graph.index(self.node_id)
        incoming = graph.inputs_of(self.node_id)
        outgoing = graph.outputs_of(self.node_id)
        self._edges = incoming + outgoing
        graph.remove_node(self.node_id)
        for i, n in enumerate(nodes):
            graph.add_node(n, self._index + i)
        self._added = [n.id for n in nodes]
        for e in edges:
            graph.connect(e)
        for e in incoming:
            for target, port in landing[e.target_port]:
                graph.connect(Edge(e.source, target, port))
        for e in outgoing:
            graph.connect(Edge(output, e.target, e.target_port))
        name = node.definition
        self._definition = None
        if not graph.definitions.users(name):
            self._definition = (graph.definitions.index(name), graph.definitions.remove(name))

    def undo(self, graph: GraphModel) -> None:
        assert self._node is not None
        if self._definition is not None:
            index, definition = self._definition
            graph.definitions.add(definition, index)
        for n in reversed(self._added):
            graph.remove_node(n)
        graph.add_node(self._node.copy(), self._index)
        for e in self._edges:
            graph.connect(e)


class MakeUnique(Command):
    """Detach one instance: it gets its own copy of its definition (``name``, or ``Name_2``)."""

    def __init__(self, node_id: str, name: str | None = None) -> None:
        self.node_id = node_id
        self.name = name
        self.text = f"Make {node_id} unique"
        self._old = ""

    def do(self, graph: GraphModel) -> None:
        node = graph.node(self.node_id)
        if not node.is_group:
            raise GraphError(f"{graph.label(self.node_id)} is not a group")
        source = graph.definitions.get(node.definition)
        self.name = self.name or graph.definitions.new_name(source.name)
        graph.definitions.add(source.copy(self.name))
        try:
            self._old = graph.set_definition(self.node_id, self.name)
        except GraphError:
            graph.definitions.remove(self.name)
            raise

    def undo(self, graph: GraphModel) -> None:
        assert self.name is not None
        graph.set_definition(self.node_id, self._old)
        graph.definitions.remove(self.name)


class RenameDefinition(Command):
    """Rename a project block; every instance follows (its class name in exported code)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.text = f"Rename group {old} to {new}"

    def do(self, graph: GraphModel) -> None:
        graph.definitions.rename(self.old, self.new)

    def undo(self, graph: GraphModel) -> None:
        graph.definitions.rename(self.new, self.old)


class EditDefinition(Command):
    """Change a definition's ports, output or exposed parameters; every instance follows.

    Fails (changing nothing) when an instance would no longer fit: a parameter it sets is gone
    or an input it is fed through no longer exists.
    """

    def __init__(
        self,
        name: str,
        *,
        inputs: Sequence[InputPort] | None = None,
        output: str | None = None,
        params: Sequence[ExposedParam] | None = None,
    ) -> None:
        self.name = name
        self.inputs = None if inputs is None else list(inputs)
        self.output = output
        self.params = None if params is None else list(params)
        self.text = f"Edit group {name}"
        self._old: Definition | None = None

    def do(self, graph: GraphModel) -> None:
        old = graph.definitions.get(self.name)
        new = Definition(
            self.name,
            old.graph,
            old.inputs if self.inputs is None else self.inputs,
            old.output if self.output is None else self.output,
            old.params if self.params is None else self.params,
        )
        _check_definition(new)
        for owner in _instances(graph):
            for n in owner:
                if n.is_group and n.definition == self.name:
                    new.validate_params(n.params, n.id)
                    fed = [e.target_port for e in owner.inputs_of(n.id)]
                    if fed and max(fed) >= len(new.inputs):
                        raise GraphError(
                            f"{n.id} is fed through input {max(fed)}, which {self.name} would "
                            "no longer have"
                        )
        self._old = graph.definitions.replace(new)

    def undo(self, graph: GraphModel) -> None:
        assert self._old is not None
        graph.definitions.replace(self._old)


def _instances(graph: GraphModel) -> list[GraphModel]:
    """The root graph and every inner graph (any of them may hold instances), found from any
    of them, so an edit made while inside a group checks the whole project."""
    root = graph.definitions.root
    return [root, *(d.graph for d in root.definitions)]


def _check_definition(definition: Definition) -> None:
    inner = definition.graph
    for port in definition.inputs:
        for node_id, _ in port.targets:
            inner.node(node_id)
    inner.node(definition.output)
    names = [p.name for p in definition.params]
    if len(set(names)) != len(names):
        raise GraphError(f"{definition.name}: two parameters share a name")
    definition.defaults()


class SetRepeat(Command):
    def __init__(self, node_id: str, repeat: int) -> None:
        self.node_id = node_id
        self.repeat = repeat
        self.text = f"Repeat {node_id} x{repeat}"
        self._old = 1

    def do(self, graph: GraphModel) -> None:
        self._old = graph.set_repeat(self.node_id, self.repeat)

    def undo(self, graph: GraphModel) -> None:
        graph.set_repeat(self.node_id, self._old)


def instance_params(graph: GraphModel, node_id: str) -> dict[str, Any]:
    """An instance's exposed parameter values, defaults included (for the inspector)."""
    node = graph.node(node_id)
    return {**graph.definitions.get(node.definition).defaults(), **node.params}


def flattened(graph: GraphModel) -> GraphModel:
    """A copy of ``graph`` with every group ungrouped, nested ones too: the same network in
    blocks only (for rules written per block, such as the memory estimate)."""
    flat = graph.copy()
    while True:
        groups = [n.id for n in flat if n.is_group]
        if not groups:
            return flat
        for node_id in groups:
            Ungroup(node_id).do(flat)
