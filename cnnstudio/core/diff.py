"""Architecture diff: what changed between two networks, node by node and wire by wire.

Nodes are matched by id first; the rest are matched by type and place in topological order (the
longest common subsequence of their types), so a renamed block reads as renamed, not as one block
removed and another added. Parameters are compared with defaults filled in, so ``{}`` and an
explicit default are the same network.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from cnnstudio.core.analysis import analyze
from cnnstudio.core.blocks import get_spec
from cnnstudio.core.graph import Edge, GraphModel, Node


@dataclass(frozen=True)
class NodeChange:
    """A node present in both networks that differs: ``node`` is its id in the new one."""

    node: str
    type: tuple[str, str] | None = None
    params: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    renamed_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "node": self.node,
            "type": list(self.type) if self.type else None,
            "params": {k: [old, new] for k, (old, new) in self.params.items()},
        }
        if self.renamed_from is not None:
            out["renamed_from"] = self.renamed_from
        return out


@dataclass(frozen=True)
class GraphDiff:
    """Ids of ``added`` nodes and edges are the new network's; ``removed`` ones the old one's."""

    added: list[str]
    removed: list[str]
    changed: list[NodeChange]
    edges_added: list[Edge]
    edges_removed: list[Edge]
    params_delta: int
    macs_delta: int
    matches: dict[str, str]  # old id -> new id of every matched node

    @property
    def identical(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.edges_added or self.edges_removed
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``cnnstudio diff --json``."""
        return {
            "identical": self.identical,
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [c.to_dict() for c in self.changed],
            "edges_added": [list(e) for e in self.edges_added],
            "edges_removed": [list(e) for e in self.edges_removed],
            "params_delta": self.params_delta,
            "macs_delta": self.macs_delta,
        }


def diff_graphs(old: GraphModel, new: GraphModel) -> GraphDiff:
    """Compare ``old`` with ``new``; never raises on a valid graph, analysable or not."""
    matches = _match(old, new)
    matched_new = set(matches.values())
    added = [n for n in new.topological_order() if n not in matched_new]
    removed = [n for n in old.topological_order() if n not in matches]
    changed = []
    for old_id in old.topological_order():
        if old_id in matches:
            change = _node_change(old.node(old_id), new.node(matches[old_id]))
            if change is not None:
                changed.append(change)
    mapped = {
        Edge(matches.get(e.source, e.source), matches.get(e.target, e.target), e.target_port): e
        for e in old.edges
    }
    new_edges = set(new.edges)
    a_old, a_new = analyze(old), analyze(new)
    return GraphDiff(
        added=added,
        removed=removed,
        changed=changed,
        edges_added=[e for e in new.edges if e not in mapped],
        edges_removed=[orig for e, orig in mapped.items() if e not in new_edges],
        params_delta=a_new.total_params - a_old.total_params,
        macs_delta=a_new.macs - a_old.macs,
        matches=matches,
    )


def _match(old: GraphModel, new: GraphModel) -> dict[str, str]:
    """Old id -> new id: equal ids, then equal types in the same topological sequence."""
    matches = {n.id: n.id for n in old if n.id in new}
    rest_old = [n for n in old.topological_order() if n not in matches]
    taken = set(matches.values())
    rest_new = [n for n in new.topological_order() if n not in taken]
    types_old = [old.node(n).type for n in rest_old]
    types_new = [new.node(n).type for n in rest_new]
    matcher = difflib.SequenceMatcher(None, types_old, types_new, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matches[rest_old[block.a + k]] = rest_new[block.b + k]
    return matches


def _node_change(a: Node, b: Node) -> NodeChange | None:
    if a.type == b.type:
        spec = get_spec(a.type)
        pa, pb = spec.resolve(a.params), spec.resolve(b.params)
        type_change = None
    else:  # only what was written: the defaults of two block types say nothing
        pa, pb = a.params, b.params
        type_change = (a.type, b.type)
    params = {
        k: (pa.get(k), pb.get(k)) for k in sorted(pa.keys() | pb.keys()) if pa.get(k) != pb.get(k)
    }
    renamed = a.id if a.id != b.id else None
    if type_change is None and not params and renamed is None:
        return None
    return NodeChange(b.id, type_change, params, renamed)


@dataclass(frozen=True)
class DiffEntry:
    """One listed change; ``node`` is the id it points at (the new network's, or the old one's
    when ``in_old``), ``None`` for the totals line."""

    text: str
    node: str | None = None
    in_old: bool = False


@dataclass(frozen=True)
class Comparison:
    """Two networks, what to call each (a run, a file, "current") and the diff between them."""

    old: GraphModel
    new: GraphModel
    old_name: str
    new_name: str
    diff: GraphDiff

    @classmethod
    def of(cls, old: GraphModel, new: GraphModel, old_name: str, new_name: str) -> Comparison:
        """Copies of both graphs, so later edits of either leave the comparison as it was."""
        old, new = old.copy(), new.copy()
        return cls(old, new, old_name, new_name, diff_graphs(old, new))

    def entries(self) -> list[DiffEntry]:
        return diff_entries(self.diff, self.old, self.new)


def diff_entries(d: GraphDiff, old: GraphModel, new: GraphModel) -> list[DiffEntry]:
    """The lines of ``diff_lines``, each with the node it names (a wire names its target)."""
    out = [DiffEntry(f"+ {n} ({new.node(n).type})", n) for n in d.added]
    out += [DiffEntry(f"- {n} ({old.node(n).type})", n, in_old=True) for n in d.removed]
    for c in d.changed:
        out.append(DiffEntry(f"~ {c.node}: " + ", ".join(change_texts(c)), c.node))
    out += [DiffEntry(f"+ wire {_edge(e)}", e.target) for e in d.edges_added]
    out += [DiffEntry(f"- wire {_edge(e)}", e.target, in_old=True) for e in d.edges_removed]
    if not d.identical:
        out.append(DiffEntry(f"params {d.params_delta:+,}, MACs {d.macs_delta:+,}"))
    return out


def change_texts(c: NodeChange) -> list[str]:
    """What changed in one node, old -> new, one phrase per rename, type or parameter."""
    what = [f"renamed from {c.renamed_from}"] if c.renamed_from else []
    what += [f"type {c.type[0]} -> {c.type[1]}"] if c.type else []
    what += [f"{k} {_value(a)} -> {_value(b)}" for k, (a, b) in c.params.items()]
    return what


def diff_lines(d: GraphDiff, old: GraphModel, new: GraphModel) -> list[str]:
    """One line per change (``+`` added, ``-`` removed, ``~`` changed), for the CLI and the GUI."""
    return [e.text for e in diff_entries(d, old, new)]


def _edge(e: Edge) -> str:
    return f"{e.source} -> {e.target}:{e.target_port}"


def _value(v: Any) -> str:
    return "(unset)" if v is None else json.dumps(v)
