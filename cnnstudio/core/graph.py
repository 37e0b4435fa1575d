"""The network graph: nodes, edges and validated mutations with change signals.

The model knows nothing of Qt or torch; views and the analyzer follow its psygnal signals.
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
from cnnstudio.core.errors import GraphError, quote

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"
MAX_NODE_ID_LENGTH = 64
_ID_RE = re.compile(NODE_ID_PATTERN)


class Edge(NamedTuple):
    """A wire from ``source``'s output to input port ``target_port`` of ``target``."""

    source: str
    target: str
    target_port: int = 0


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)

    def copy(self) -> Node:
        return Node(self.id, self.type, copy.deepcopy(self.params), self.position)


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

    def __init__(self) -> None:
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
        spec = get_spec(node.type)
        node.params = spec.validate_params(node.params, node.id)
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

    def check_connect(self, edge: Edge) -> None:
        """Raise GraphError if ``edge`` may not be added (an occupied port is allowed: it is replaced)."""
        src, dst = self.node(edge.source), self.node(edge.target)
        if get_spec(src.type).outputs == 0:
            raise GraphError(f"{src.id} ({src.type}) has no output")
        spec = get_spec(dst.type)
        if spec.inputs == 0:
            raise GraphError(f"{dst.id} ({dst.type}) has no input")
        if edge.target_port < 0 or (not spec.variadic and edge.target_port >= spec.inputs):
            n = spec.inputs
            raise GraphError(
                f"{dst.id} ({dst.type}) has {n} input{'s' * (n != 1)}; port {edge.target_port} does "
                "not exist"
            )
        if edge.target_port > 1023:
            raise GraphError(f"{dst.id} ({dst.type}): port {edge.target_port} is out of range")
        if edge.source == edge.target:
            raise GraphError(f"cannot connect {src.id} to itself")
        if self.has_path(edge.target, edge.source):
            raise GraphError(
                f"connecting {src.id} to {dst.id} would create a cycle "
                f"({dst.id} already feeds {src.id})"
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
        node.params = get_spec(node.type).validate_params(merged, node_id)
        self.params_changed.emit(node_id)
        self.changed.emit()
        return old

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

    def clear(self) -> None:
        for n in list(self._nodes):
            self.remove_node(n)

    # ---- bulk helpers ----------------------------------------------------------------------
    @classmethod
    def from_parts(cls, nodes: Iterable[Node], edges: Iterable[Edge]) -> GraphModel:
        g = cls()
        for n in nodes:
            g.add_node(n)
        for e in edges:
            g.connect(e)
        return g

    def copy(self) -> GraphModel:
        return GraphModel.from_parts([n.copy() for n in self._nodes.values()], self.edges)

    def subgraph(self, node_ids: Iterable[str]) -> tuple[list[Node], list[Edge]]:
        """Copies of the chosen nodes and the edges among them (for the clipboard)."""
        ids = set(node_ids)
        nodes = [self._nodes[n].copy() for n in self._nodes if n in ids]
        edges = [e for e in self.edges if e.source in ids and e.target in ids]
        return nodes, edges
