"""The network graph: nodes, edges and validated mutations with change signals.

The model knows nothing of Qt or torch; views and the analyzer follow its psygnal signals.
A ``Group`` node is an instance of a named ``Definition`` (an inner graph with named ports and
exposed parameters) kept in the ``Definitions`` registry that a root graph shares with every
inner graph; see docs/groups.md.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from psygnal import Signal

from cnnstudio.core.blocks import get_spec
from cnnstudio.core.errors import GraphError, ParamError, quote
from cnnstudio.core.params import Param

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"
MAX_NODE_ID_LENGTH = 64
_ID_RE = re.compile(NODE_ID_PATTERN)
GROUP = "Group"  # the type of a node that instantiates a Definition
DEFINITION_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # a Python class name in the export
_DEFINITION_NAME_RE = re.compile(DEFINITION_NAME_PATTERN)
MAX_REPEAT = 64


class Edge(NamedTuple):
    """A wire from ``source``'s output to input port ``target_port`` of ``target``."""

    source: str
    target: str
    target_port: int = 0


@dataclass
class Node:
    """A block, or (``type == GROUP``) an instance of ``definition`` run ``repeat`` times in
    sequence, whose ``params`` are values of the definition's exposed parameters."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    definition: str = ""
    repeat: int = 1
    # A group shown with its inside under it: layout, like ``position`` (no effect on analysis).
    expanded: bool = False

    def copy(self) -> Node:
        return Node(
            self.id,
            self.type,
            copy.deepcopy(self.params),
            self.position,
            self.definition,
            self.repeat,
            self.expanded,
        )

    @property
    def is_group(self) -> bool:
        return self.type == GROUP


class Ports(NamedTuple):
    """How a node may be wired: ``inputs`` ports (a minimum when ``variadic``), ``outputs`` 0/1."""

    inputs: int
    variadic: bool
    outputs: int


@dataclass(frozen=True)
class InputPort:
    """A group's input: the tensor fed to it reaches every inner ``(node id, port)`` target."""

    name: str
    targets: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ExposedParam:
    """A definition parameter set per instance; its value goes to every ``(node id, param)``
    binding. Its kind, bounds and help are those of the first binding's block parameter."""

    name: str
    bindings: tuple[tuple[str, str], ...]


@dataclass
class Definition:
    """A reusable sub-network: ``graph`` fed through ``inputs``, giving ``output``'s tensor.

    The inner graph holds the defaults of the exposed parameters (the bound blocks' values).
    Renaming an inner node renames it in the ports and bindings too.
    """

    name: str
    graph: GraphModel
    inputs: list[InputPort]
    output: str
    params: list[ExposedParam] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.graph.owner = self.name
        self.graph.node_renamed.connect(self._rename_refs)

    def _rename_refs(self, old: str, new: str) -> None:
        def fix(node_id: str) -> str:
            return new if node_id == old else node_id

        self.inputs = [
            InputPort(p.name, tuple((fix(n), i) for n, i in p.targets)) for p in self.inputs
        ]
        self.output = fix(self.output)
        self.params = [
            ExposedParam(p.name, tuple((fix(n), k) for n, k in p.bindings)) for p in self.params
        ]

    def exposed(self, name: str) -> ExposedParam:
        for p in self.params:
            if p.name == name:
                return p
        raise GraphError(f"{self.name} has no parameter {quote(name)}")

    def param_spec(self, name: str) -> Param:
        """The block parameter an exposed parameter takes its kind and bounds from."""
        node_id, param = self.exposed(name).bindings[0]
        return get_spec(self.graph.node(node_id).type).param(param)

    def defaults(self) -> dict[str, Any]:
        """Exposed parameter values as the inner graph holds them."""
        out: dict[str, Any] = {}
        for p in self.params:
            node_id, param = p.bindings[0]
            node = self.graph.node(node_id)
            out[p.name] = get_spec(node.type).resolve(node.params)[param]
        return out

    def validate_params(self, params: dict[str, Any], node_id: str) -> dict[str, Any]:
        """Normalised copy of an instance's ``params``; raises ParamError naming the fault."""
        if not isinstance(params, dict):
            raise GraphError(f"{node_id} ({self.name}): params must be an object")
        out: dict[str, Any] = {}
        for key, value in params.items():
            if not any(p.name == key for p in self.params):
                known = ", ".join(p.name for p in self.params) or "none"
                raise ParamError(
                    f"{node_id} ({self.name}): unknown parameter {quote(key)}; known: {known}", key
                )
            try:
                out[key] = self.param_spec(key).validate(value, f"{node_id} ({self.name})")
            except GraphError as exc:
                raise ParamError(str(exc), key) from None
        return out

    def instantiate(self, params: dict[str, Any]) -> GraphModel:
        """A copy of the inner graph with an instance's parameter values written into the bound
        blocks (raises GraphError if a binding no longer names a block parameter)."""
        inner = self.graph.copy()
        for key, value in params.items():
            for node_id, param in self.exposed(key).bindings:
                inner.set_params(node_id, {param: value})
        return inner

    def copy(self, name: str | None = None) -> Definition:
        return Definition(
            name or self.name, self.graph.copy(), list(self.inputs), self.output, list(self.params)
        )


def validate_definition_name(name: str) -> None:
    if not isinstance(name, str) or not _DEFINITION_NAME_RE.match(name) or len(name) > 64:
        raise GraphError(
            f"invalid group name {quote(name)}: use 1-64 letters, digits or '_', starting with a "
            "letter or '_'"
        )


class Definitions:
    """The project's group definitions, by name, in file order.

    ``changed(name)`` fires after any edit of a definition, its inner graph included, so a root
    graph re-emits ``changed`` and its analysis reruns.
    """

    added = Signal(str)
    removed = Signal(str)
    renamed = Signal(str, str)  # old name, new name
    changed = Signal(str)

    def __init__(self, root: GraphModel) -> None:
        self.root = root
        self._defs: dict[str, Definition] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def __iter__(self) -> Iterator[Definition]:
        return iter(list(self._defs.values()))

    def __len__(self) -> int:
        return len(self._defs)

    @property
    def names(self) -> list[str]:
        return list(self._defs)

    def get(self, name: str) -> Definition:
        try:
            return self._defs[name]
        except KeyError:
            raise GraphError(f"no group definition named {quote(name)}") from None

    def index(self, name: str) -> int:
        self.get(name)
        return list(self._defs).index(name)

    def new_name(self, base: str) -> str:
        """``base`` if free, else ``base_2``, ``base_3``..."""
        name, i = base, 1
        while name in self._defs:
            i += 1
            name = f"{base}_{i}"
        return name

    def add(self, definition: Definition, index: int | None = None) -> None:
        validate_definition_name(definition.name)
        if definition.name in self._defs:
            raise GraphError(f"a group definition named {quote(definition.name)} already exists")
        if definition.graph.definitions is not self:
            raise GraphError(f"{definition.name}: its inner graph belongs to another project")
        items = list(self._defs.items())
        items.insert(len(items) if index is None else index, (definition.name, definition))
        self._defs = dict(items)
        definition.graph.changed.connect(self._emit_changed)
        self.added.emit(definition.name)
        self.changed.emit(definition.name)

    def remove(self, name: str) -> Definition:
        definition = self.get(name)
        users = self.users(name)
        if users:
            raise GraphError(f"group {name} is still used by {', '.join(users)}")
        del self._defs[name]
        definition.graph.changed.disconnect(self._emit_changed)
        self.removed.emit(name)
        self.changed.emit(name)
        return definition

    def rename(self, old: str, new: str) -> None:
        """Rename a definition in place (its inner graph stays the same object), keeping its
        place in the file order; every instance, at the top or inside a group, follows."""
        definition = self.get(old)
        if new == old:
            return
        validate_definition_name(new)
        if new in self._defs:
            raise GraphError(f"a group definition named {quote(new)} already exists")
        self._defs = {(new if name == old else name): d for name, d in self._defs.items()}
        definition.name = definition.graph.owner = new
        for graph in (self.root, *(d.graph for d in self)):
            graph.definition_renamed(old, new)
        self.renamed.emit(old, new)
        self.changed.emit(new)

    def replace(self, definition: Definition) -> Definition:
        """Swap in a new version of a definition (same name); returns the old one."""
        old = self.get(definition.name)
        if definition.graph.definitions is not self:
            raise GraphError(f"{definition.name}: its inner graph belongs to another project")
        self._defs[definition.name] = definition
        old.graph.changed.disconnect(self._emit_changed)
        definition.graph.changed.connect(self._emit_changed)
        self.changed.emit(definition.name)
        return old

    def _emit_changed(self) -> None:
        # Which inner graph changed is not told by psygnal here; every listener re-analyses.
        self.changed.emit("")

    def users(self, name: str) -> list[str]:
        """Nodes that instantiate ``name``: root node ids, then ``Definition/node`` paths."""
        found = [n.id for n in self.root if n.is_group and n.definition == name]
        return found + [
            f"{d.name}/{n.id}" for d in self for n in d.graph if n.is_group and n.definition == name
        ]

    def depends_on(self, name: str, other: str) -> bool:
        """Whether definition ``name`` contains ``other``, directly or through nested groups."""
        stack, seen = [name], set()
        while stack:
            current = stack.pop()
            if current == other:
                return True
            if current in seen or current not in self._defs:
                continue
            seen.add(current)
            stack.extend(n.definition for n in self._defs[current].graph if n.is_group)
        return False

    def ordered(self) -> list[Definition]:
        """Definitions with those a definition uses before it (the file order)."""
        done: dict[str, Definition] = {}

        def visit(name: str) -> None:
            if name in done or name not in self._defs:
                return
            for n in self._defs[name].graph:
                if n.is_group:
                    visit(n.definition)
            done[name] = self._defs[name]

        for name in self._defs:
            visit(name)
        return list(done.values())


def validate_node_id(node_id: str) -> None:
    """Ids are user-visible names: a letter or underscore, then letters, digits, ``_ . -``."""
    if (
        not isinstance(node_id, str)
        or not _ID_RE.match(node_id)
        or len(node_id) > MAX_NODE_ID_LENGTH
    ):
        raise GraphError(
            f"invalid node id {quote(node_id)}: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or '_'"
        )


class GraphModel:
    """A directed acyclic graph of blocks.

    Every mutation is validated before it happens and announced afterwards; ``changed`` fires
    after any mutation that can affect analysis (everything but ``move``).
    """

    node_added = Signal(Node)
    node_removed = Signal(Node)
    edge_added = Signal(Edge)
    edge_removed = Signal(Edge)
    params_changed = Signal(str)
    node_renamed = Signal(str, str)
    node_moved = Signal(str, tuple)
    changed = Signal()

    def __init__(self, definitions: Definitions | None = None) -> None:
        """A root graph (``definitions`` None) owns a new registry and re-emits ``changed`` when
        a definition changes; an inner graph shares its root's registry."""
        self.owner: str | None = None  # the definition whose inner graph this is
        if definitions is None:
            self.definitions = Definitions(self)
            self.definitions.changed.connect(self._definition_changed)
        else:
            self.definitions = definitions
        self._nodes: dict[str, Node] = {}
        self._edges: set[Edge] = set()
        self._in: dict[str, dict[int, Edge]] = {}
        self._out: dict[str, set[Edge]] = {}

    # ---- queries ---------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    @property
    def edges(self) -> list[Edge]:
        return sorted(self._edges)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._nodes.values()))

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphError(f"no node named {quote(node_id)}") from None

    def index(self, node_id: str) -> int:
        """Place of a node in insertion order, which sets file order and breaks topological ties."""
        self.node(node_id)
        return list(self._nodes).index(node_id)

    def inputs_of(self, node_id: str) -> list[Edge]:
        """Incoming edges ordered by port."""
        ports = self._in.get(node_id, {})
        return [ports[p] for p in sorted(ports)]

    def outputs_of(self, node_id: str) -> list[Edge]:
        return sorted(self._out.get(node_id, ()))

    def edge_at(self, target: str, port: int) -> Edge | None:
        return self._in.get(target, {}).get(port)

    def ports(self, node_id: str) -> Ports:
        """The ports of a block (from its spec) or of a group (from its definition)."""
        node = self.node(node_id)
        if node.is_group:
            return Ports(len(self.definitions.get(node.definition).inputs), False, 1)
        spec = get_spec(node.type)
        return Ports(spec.inputs, spec.variadic, spec.outputs)

    def label(self, node_id: str) -> str:
        """``id (Type)`` or, for a group, ``id (Definition xN)``: how messages name a node."""
        node = self.node(node_id)
        if not node.is_group:
            return f"{node_id} ({node.type})"
        times = f" x{node.repeat}" if node.repeat > 1 else ""
        return f"{node_id} ({node.definition}{times})"

    def has_edge(self, edge: Edge) -> bool:
        return edge in self._edges

    def new_id(self, block_type: str) -> str:
        """A fresh id for a new node, one scheme for every block: the type in lower case without
        its ``1d``/``2d``/``3d`` and the smallest free number (``input_1``, ``conv_2``,
        ``relu6_1``)."""
        base = re.sub(r"[123]d$", "", block_type.lower())
        i = 1
        while f"{base}_{i}" in self._nodes:
            i += 1
        return f"{base}_{i}"

    def topological_order(self) -> list[str]:
        """Node ids in a stable topological order (Kahn's algorithm, insertion order for ties)."""
        indegree = {n: len(self._in.get(n, {})) for n in self._nodes}
        ready = [n for n, d in indegree.items() if d == 0]
        order: list[str] = []
        rank = {n: i for i, n in enumerate(self._nodes)}
        while ready:
            ready.sort(key=rank.__getitem__, reverse=True)
            n = ready.pop()
            order.append(n)
            for e in self._out.get(n, ()):
                indegree[e.target] -= 1
                if indegree[e.target] == 0:
                    ready.append(e.target)
        return order

    def has_path(self, start: str, goal: str) -> bool:
        stack, seen = [start], set()
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(e.target for e in self._out.get(n, ()))
        return False

    # ---- mutations -------------------------------------------------------------------------
    def add_node(self, node: Node, index: int | None = None) -> Node:
        """Add ``node`` (its params normalised in place) at the end, or at ``index`` (for undo)."""
        validate_node_id(node.id)
        if node.id in self._nodes:
            raise GraphError(f"a node named {quote(node.id)} already exists")
        node.params = self._validate_params(node, node.params)
        if node.is_group:
            self._check_repeat(node.id, node.repeat)
        if index is None or index >= len(self._nodes):
            self._nodes[node.id] = node
        else:
            items = list(self._nodes.items())
            items.insert(index, (node.id, node))
            self._nodes = dict(items)
        self._in[node.id] = {}
        self._out[node.id] = set()
        self.node_added.emit(node)
        self.changed.emit()
        return node

    def remove_node(self, node_id: str) -> Node:
        """Remove a node and every edge touching it."""
        node = self.node(node_id)
        for e in self.inputs_of(node_id) + self.outputs_of(node_id):
            self._drop_edge(e)
        del self._nodes[node_id], self._in[node_id], self._out[node_id]
        self.node_removed.emit(node)
        self.changed.emit()
        return node

    def _validate_params(self, node: Node, params: dict[str, Any]) -> dict[str, Any]:
        if not node.is_group:
            return get_spec(node.type).validate_params(params, node.id)
        if node.type != GROUP or node.definition not in self.definitions:
            raise GraphError(f"{node.id}: no group definition named {quote(node.definition)}")
        if self.owner is not None and self.definitions.depends_on(node.definition, self.owner):
            raise GraphError(
                f"{node.id}: group {node.definition} cannot go inside {self.owner}, which it "
                "contains"
            )
        return self.definitions.get(node.definition).validate_params(params, node.id)

    def _check_repeat(self, node_id: str, repeat: int) -> None:
        if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= MAX_REPEAT:
            raise GraphError(
                f"{node_id}: repeat must be an integer from 1 to {MAX_REPEAT}, got {quote(repeat)}"
            )

    def check_connect(self, edge: Edge) -> None:
        """Raise GraphError if ``edge`` may not be added (an occupied port is allowed: it is replaced)."""
        self.node(edge.source), self.node(edge.target)
        src, dst = self.label(edge.source), self.label(edge.target)
        if self.ports(edge.source).outputs == 0:
            raise GraphError(f"{src} has no output")
        ports = self.ports(edge.target)
        if ports.inputs == 0:
            raise GraphError(f"{dst} has no input")
        if edge.target_port < 0 or (not ports.variadic and edge.target_port >= ports.inputs):
            n = ports.inputs
            raise GraphError(
                f"{dst} has {n} input{'s' * (n != 1)}; port {edge.target_port} does not exist"
            )
        if edge.target_port > 1023:
            raise GraphError(f"{dst}: port {edge.target_port} is out of range")
        if edge.source == edge.target:
            raise GraphError(f"cannot connect {edge.source} to itself")
        if self.has_path(edge.target, edge.source):
            raise GraphError(
                f"connecting {edge.source} to {edge.target} would create a cycle "
                f"({edge.target} already feeds {edge.source})"
            )

    def connect(self, edge: Edge) -> Edge | None:
        """Add ``edge``; returns the edge it replaced on that port, if any."""
        self.check_connect(edge)
        if edge in self._edges:
            return None
        old = self.edge_at(edge.target, edge.target_port)
        if old is not None:
            self._drop_edge(old)
        self._edges.add(edge)
        self._in[edge.target][edge.target_port] = edge
        self._out[edge.source].add(edge)
        self.edge_added.emit(edge)
        self.changed.emit()
        return old

    def disconnect(self, edge: Edge) -> None:
        if edge not in self._edges:
            raise GraphError(f"no edge from {edge.source} to {edge.target}:{edge.target_port}")
        self._drop_edge(edge)
        self.changed.emit()

    def _drop_edge(self, edge: Edge) -> None:
        self._edges.discard(edge)
        del self._in[edge.target][edge.target_port]
        self._out[edge.source].discard(edge)
        self.edge_removed.emit(edge)

    def set_params(
        self, node_id: str, params: dict[str, Any], replace: bool = False
    ) -> dict[str, Any]:
        """Update (or ``replace``) parameters, validated; returns the previous parameter dict."""
        node = self.node(node_id)
        old = node.params
        merged = dict(params) if replace else {**old, **params}
        node.params = self._validate_params(node, merged)
        self.params_changed.emit(node_id)
        self.changed.emit()
        return old

    def set_repeat(self, node_id: str, repeat: int) -> int:
        """Run a group ``repeat`` times in sequence; returns the previous count."""
        node = self.node(node_id)
        if not node.is_group:
            raise GraphError(f"{self.label(node_id)} is not a group; only groups repeat")
        self._check_repeat(node_id, repeat)
        old, node.repeat = node.repeat, repeat
        self.params_changed.emit(node_id)
        self.changed.emit()
        return old

    def set_definition(self, node_id: str, definition: str) -> str:
        """Point a group at another definition with the same ports; returns the previous name."""
        node = self.node(node_id)
        if not node.is_group:
            raise GraphError(f"{self.label(node_id)} is not a group")
        trial = node.copy()
        trial.definition = definition
        params = self._validate_params(trial, node.params)
        if len(self.definitions.get(definition).inputs) != self.ports(node_id).inputs:
            raise GraphError(f"{node_id}: group {definition} has other inputs")
        old, node.definition, node.params = node.definition, definition, params
        self.params_changed.emit(node_id)
        self.changed.emit()
        return old

    def definition_renamed(self, old: str, new: str) -> None:
        """Definition ``old`` is now called ``new`` (same ports and parameters): this graph's
        instances of it follow."""
        renamed = [n for n in self._nodes.values() if n.is_group and n.definition == old]
        for node in renamed:
            node.definition = new
            self.params_changed.emit(node.id)
        if renamed:
            self.changed.emit()

    def _definition_changed(self, name: str) -> None:
        self.changed.emit()

    def rename(self, old_id: str, new_id: str) -> None:
        """Rename a node, keeping its edges and its place in the insertion order."""
        node = self.node(old_id)
        if new_id == old_id:
            return
        validate_node_id(new_id)
        if new_id in self._nodes:
            raise GraphError(f"a node named {quote(new_id)} already exists")
        edges = self.inputs_of(old_id) + self.outputs_of(old_id)
        for e in edges:
            self._edges.discard(e)
            self._in[e.target].pop(e.target_port, None)
            self._out[e.source].discard(e)
        self._nodes = {(new_id if k == old_id else k): v for k, v in self._nodes.items()}
        self._in[new_id] = self._in.pop(old_id)
        self._out[new_id] = self._out.pop(old_id)
        node.id = new_id
        for e in edges:
            ne = Edge(
                new_id if e.source == old_id else e.source,
                new_id if e.target == old_id else e.target,
                e.target_port,
            )
            self._edges.add(ne)
            self._in[ne.target][ne.target_port] = ne
            self._out[ne.source].add(ne)
        self.node_renamed.emit(old_id, new_id)
        self.changed.emit()

    def move(self, node_id: str, position: tuple[float, float]) -> None:
        node = self.node(node_id)
        pos = (float(position[0]), float(position[1]))
        if not (math.isfinite(pos[0]) and math.isfinite(pos[1])):
            raise GraphError(f"{node_id}: position must be finite, got {pos}")
        if node.position != pos:
            node.position = pos
            self.node_moved.emit(node_id, pos)

    def set_expanded(self, node_id: str, expanded: bool) -> None:
        """Show a group's inside on the canvas or not: saved with the layout, so ``changed``
        (and the analysis) stays quiet, as for ``move``."""
        node = self.node(node_id)
        if not node.is_group:
            raise GraphError(f"{self.label(node_id)} is not a group; only groups expand")
        node.expanded = expanded

    def clear(self) -> None:
        for n in list(self._nodes):
            self.remove_node(n)

    # ---- bulk helpers ----------------------------------------------------------------------
    @classmethod
    def from_parts(
        cls, nodes: Iterable[Node], edges: Iterable[Edge], definitions: Definitions | None = None
    ) -> GraphModel:
        g = cls(definitions)
        for n in nodes:
            g.add_node(n)
        for e in edges:
            g.connect(e)
        return g

    def copy(self) -> GraphModel:
        """A copy sharing nothing: a root graph brings copies of its definitions, an inner graph
        stays in its root's registry."""
        if self.owner is not None:
            inner = GraphModel.from_parts(
                [n.copy() for n in self._nodes.values()], self.edges, self.definitions
            )
            inner.owner = self.owner
            return inner
        return self._root_of(*self.subgraph(self._nodes), set(self.definitions.names))

    def part(self, node_ids: Iterable[str]) -> GraphModel:
        """A root graph of copies of the chosen nodes, the edges among them and the definitions
        their groups use, nested ones included (for the clipboard: a pasted group keeps its
        definition)."""
        nodes, edges = self.subgraph(node_ids)
        return self._root_of(nodes, edges, {n.definition for n in nodes if n.is_group})

    def _root_of(self, nodes: list[Node], edges: list[Edge], needed: set[str]) -> GraphModel:
        g = GraphModel()
        for d in self.definitions.ordered():
            if not any(
                d.name == name or self.definitions.depends_on(name, d.name) for name in needed
            ):
                continue
            inner = GraphModel.from_parts([n.copy() for n in d.graph], d.graph.edges, g.definitions)
            g.definitions.add(Definition(d.name, inner, list(d.inputs), d.output, list(d.params)))
        for n in nodes:
            g.add_node(n)
        for e in edges:
            g.connect(e)
        return g

    def subgraph(self, node_ids: Iterable[str]) -> tuple[list[Node], list[Edge]]:
        """Copies of the chosen nodes and the edges among them (for the clipboard)."""
        ids = set(node_ids)
        nodes = [self._nodes[n].copy() for n in self._nodes if n in ids]
        edges = [e for e in self.edges if e.source in ids and e.target in ids]
        return nodes, edges
