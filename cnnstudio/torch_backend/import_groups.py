"""Nested modules of an imported network -> group instances, so the project reads like the source.

The importer first builds the flat graph (every block at the top, ids from module paths). Here
each submodule of a user class (``layer1.0``, a ``BasicBlock``) is grouped, deepest first, with
the core's ``GroupNodes``; a submodule the groups core cannot express (two outputs, called
twice) stays flat. An ``nn.Sequential`` of equal instances (same structure, same values) becomes
one instance repeated, named after the Sequential, so its weights read ``layer1.0.conv1.weight``
as in the source. Last, instances of one class with the same structure share one definition
named after the class; the values that differ between them, and the constructor arguments the
class passes straight to its layers (``out_channels=channels``), become exposed parameters. A
different structure (a ``downsample`` branch or not) makes another definition (``BasicBlock_2``).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import torch.nn as nn

from cnnstudio.core.blocks import get_spec
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import (
    MAX_REPEAT,
    Definition,
    Edge,
    ExposedParam,
    GraphModel,
    InputPort,
    validate_definition_name,
    validate_node_id,
)
from cnnstudio.core.groups import GroupNodes, boundary
from cnnstudio.core.layout import layered_layout
from cnnstudio.torch_backend.naming import fresh_name

_TEMP = "_Import{}"  # working definition names, replaced by class names at the end

# What the weights of the compiled project come from: a block id -> its source module, a group
# instance id -> one such mapping per repetition.
Sources = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """A submodule that may become a group (a user class) or a repeat (an ``nn.Sequential``)."""

    key: str  # its ``nn_module_stack`` key
    path: str  # its module path (``layer1.0``)
    module: nn.Module
    depth: int  # dots in its module path: deeper scopes are grouped first
    names: tuple[str, ...]  # its id relative to each enclosing group scope, outermost first
    children: tuple[str, ...] = ()  # a Sequential's children's scope keys, in order


@dataclass
class Placed:
    """Where a node of the top graph sits: the group scopes around it and its id in each."""

    chain: tuple[str, ...]  # enclosing group scope keys, outermost first
    names: tuple[str, ...]  # names[i + 1:] joined by "_" is its id inside chain[i]


@dataclass
class _State:
    graph: GraphModel
    placed: dict[str, Placed]
    sources: Sources
    shapes: dict[str, tuple[int, ...]]  # node id -> its output's shape
    temps: list[str] = field(default_factory=list)  # in creation order
    scope_of: dict[str, str] = field(default_factory=dict)  # temp -> scope key
    instance_of: dict[str, str] = field(default_factory=dict)  # scope key -> top node id
    home: dict[str, tuple[GraphModel, str]] = field(default_factory=dict)  # temp -> its instance
    input_shape: dict[str, tuple[int, ...]] = field(default_factory=dict)  # temp -> its input's


def group_scopes(
    graph: GraphModel,
    placed: dict[str, Placed],
    scopes: list[Scope],
    sources: Sources,
    shapes: dict[str, tuple[int, ...]],
) -> Sources:
    """Group ``graph`` (flat, valid) in place; returns where each compiled module's weights are."""
    state = _State(graph, placed, dict(sources), dict(shapes))
    for scope in sorted(scopes, key=lambda s: -s.depth):
        if scope.children:
            _repeat(state, scope)
        else:
            _group(state, scope)
    _share_definitions(state, {s.key: s for s in scopes})
    for g in [graph, *(d.graph for d in graph.definitions)]:
        for node_id, position in layered_layout(g).items():
            g.node(node_id).position = position
    return state.sources


def _joined(names: tuple[str, ...]) -> str:
    return "_".join(names)


def _free_id(wanted: str, taken: GraphModel, keep: Collection[str] = ()) -> str:
    """``wanted`` if it is a valid id free in ``taken`` (or one of ``keep``), else a variant."""
    try:
        validate_node_id(wanted)
    except GraphError:
        wanted = "group"
    used = {n.id for n in taken} - set(keep)
    return fresh_name(wanted, used)


def _group(state: _State, scope: Scope) -> None:
    graph = state.graph
    ids = [n.id for n in graph if scope.key in state.placed[n.id].chain]
    if not ids:
        return
    try:
        ports = boundary(graph, ids)
    except GraphError:
        return  # not one group (two outputs, called twice...): its blocks stay flat
    temp = _TEMP.format(len(state.temps))
    instance = _free_id(_joined(scope.names), graph, set(ids))
    GroupNodes(ids, temp, instance).do(graph)
    definition = graph.definitions.get(temp)
    level = len(scope.names)
    inner: Sources = {}
    for old in ids:
        wanted = _joined(state.placed[old].names[level:])
        new = old
        if wanted != old and wanted not in definition.graph:
            try:
                definition.graph.rename(old, wanted)
                new = wanted
            except GraphError:
                pass  # an id the graph refuses keeps its flat name
        inner[new] = state.sources.pop(old)
        for child, (where, node_id) in list(state.home.items()):
            if where is graph and node_id == old:
                state.home[child] = (definition.graph, new)
    definition.inputs = [
        InputPort(p.targets[0][0] + (f".{p.targets[0][1]}" if p.targets[0][1] else ""), p.targets)
        for p in definition.inputs
    ]
    state.placed[instance] = Placed(state.placed[ids[0]].chain[:level], scope.names)
    state.sources[instance] = [inner]
    state.shapes[instance] = state.shapes[ports.output]
    if len(ports.sources) == 1:
        state.input_shape[temp] = state.shapes[ports.sources[0]]
    state.temps.append(temp)
    state.scope_of[temp] = scope.key
    state.instance_of[scope.key] = instance
    state.home[temp] = (graph, instance)


def _repeat(state: _State, scope: Scope) -> None:
    """An ``nn.Sequential`` of equal instances wired in a chain -> one instance repeated."""
    graph = state.graph
    nodes = [state.instance_of.get(k) for k in scope.children]
    if len(nodes) < 2 or len(nodes) > MAX_REPEAT or None in nodes:
        return
    ids = [n for n in nodes if n is not None and n in graph]
    if len(ids) != len(nodes):
        return
    temps = [graph.node(n).definition for n in ids]
    first = graph.definitions.get(temps[0])
    if len(first.inputs) != 1 or state.input_shape.get(temps[0]) != state.shapes[ids[0]]:
        return
    signature = _signature(graph, temps[0], values=True)
    if any(_signature(graph, t, values=True) != signature for t in temps[1:]):
        return
    for a, b in pairwise(ids):
        if graph.inputs_of(b) != [Edge(a, b, 0)] or graph.outputs_of(a) != [Edge(a, b, 0)]:
            return
    leaving = graph.outputs_of(ids[-1])
    for node_id in ids[1:]:
        graph.remove_node(node_id)
    for temp in temps[1:]:
        graph.definitions.remove(temp)
    for e in leaving:
        graph.connect(Edge(ids[0], e.target, e.target_port))
    graph.set_repeat(ids[0], len(ids))
    name = _free_id(_joined(scope.names), graph, {ids[0]})
    graph.rename(ids[0], name)
    placed = state.placed.pop(ids[0])
    state.placed[name] = Placed(placed.chain, scope.names)
    state.sources[name] = [state.sources.pop(n)[0] for n in ids]
    state.shapes[name] = state.shapes.pop(ids[0])
    state.home[temps[0]] = (graph, name)
    for key in scope.children:
        del state.instance_of[key]


def _signature(graph: GraphModel, name: str, values: bool) -> Any:
    """What makes two definitions interchangeable: their inner graphs, ports and output, with
    the blocks' parameter values (``values``) or only their types (to share a definition)."""
    definition = graph.definitions.get(name)
    nodes: list[tuple[Any, ...]] = []
    for n in definition.graph:
        if n.is_group:
            nodes.append((n.id, _signature(graph, n.definition, True), n.repeat, repr(n.params)))
        else:
            params = get_spec(n.type).resolve(n.params) if values else None
            nodes.append((n.id, n.type, repr(params)))
    return (
        tuple(nodes),
        tuple(sorted(definition.graph.edges)),
        tuple(p.targets for p in definition.inputs),
        definition.output,
    )


def _alive(state: _State, temp: str) -> bool:
    """Whether a definition's instance is still in the project (a repeat drops the copies)."""
    owner = state.home[temp][0].owner
    if owner is None:
        return True
    return owner in state.graph.definitions and _alive(state, owner)


def _share_definitions(state: _State, scopes: dict[str, Scope]) -> None:
    graph = state.graph
    temps = [t for t in state.temps if t in graph.definitions and _alive(state, t)]
    buckets: dict[Any, list[str]] = {}
    for temp in temps:
        module = scopes[state.scope_of[temp]].module
        key = (type(module).__name__, _signature(graph, temp, values=False))
        buckets.setdefault(key, []).append(temp)
    pending = list(buckets.values())
    done: set[str] = set()
    while pending:
        # A definition is finished after the ones its instances hold.
        ready = next(
            b
            for b in pending
            if all(
                n.definition not in temps or n.definition in done
                for t in b
                for n in graph.definitions.get(t).graph
                if n.is_group
            )
        )
        pending.remove(ready)
        _finish(state, ready, scopes[state.scope_of[ready[0]]].module)
        done.update(ready)
    for temp in reversed(state.temps):
        if temp in graph.definitions:
            graph.definitions.remove(temp)


def _finish(state: _State, members: list[str], module: nn.Module) -> None:
    """One definition for ``members`` (same class, same structure), named after the class."""
    graph = state.graph
    first = graph.definitions.get(members[0])
    inner = [graph.definitions.get(m).graph for m in members]
    blocks = [n for n in first.graph if not n.is_group]

    def value(g: GraphModel, node_id: str, param: str) -> Any:
        node = g.node(node_id)
        return get_spec(node.type).resolve(node.params)[param]

    exposed: list[ExposedParam] = []
    covered: set[tuple[str, str]] = set()
    for name, bindings in _constructor_arguments(module).items():
        bindings = [
            (n, p)
            for n, p in bindings
            if n in first.graph
            and (n, p) not in covered
            and not first.graph.node(n).is_group
            and any(q.name == p for q in get_spec(first.graph.node(n).type).params)
        ]
        if bindings and all(len({repr(value(g, n, p)) for n, p in bindings}) == 1 for g in inner):
            exposed.append(ExposedParam(name, tuple(bindings)))
            covered.update(bindings)
    varying: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for node in blocks:
        for param in get_spec(node.type).params:
            seen = [repr(value(g, node.id, param.name)) for g in inner]
            if (node.id, param.name) not in covered and len(set(seen)) > 1:
                varying.setdefault((param.name, str(seen)), []).append((node.id, param.name))
    taken = {p.name for p in exposed}
    for (kind, _), bindings in varying.items():
        name = kind if kind not in taken else f"{bindings[0][0]}_{kind}"
        exposed.append(ExposedParam(fresh_name(name, taken), tuple(bindings)))
    base = type(module).__name__
    try:
        validate_definition_name(base)
    except GraphError:
        base = "Group"
    name = graph.definitions.new_name(base)
    copy = GraphModel.from_parts(
        [n.copy() for n in first.graph], first.graph.edges, graph.definitions
    )
    definition = Definition(name, copy, list(first.inputs), first.output, exposed)
    graph.definitions.add(definition)
    defaults = definition.defaults()
    for member, g in zip(members, inner, strict=True):
        own = {p.name: value(g, *p.bindings[0]) for p in exposed}
        home, node_id = state.home[member]
        home.set_definition(node_id, name)
        home.set_params(node_id, {k: v for k, v in own.items() if v != defaults[k]})


def _constructor_arguments(module: nn.Module) -> dict[str, list[tuple[str, str]]]:
    """Arguments of the class's ``__init__`` passed unchanged to its layers, read from its
    source: ``self.conv1 = nn.Conv2d(cin, cout, 3, stride)`` binds ``cout`` to
    ``conv1.out_channels`` and ``stride`` to ``conv1.stride``. Empty when the source is unknown."""
    try:
        source = textwrap.dedent(inspect.getsource(type(module).__init__))
        tree = ast.parse(source)
        arguments = set(inspect.signature(type(module).__init__).parameters) - {"self"}
    except (OSError, TypeError, SyntaxError, ValueError):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for statement in ast.walk(tree):
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(target := statement.targets[0], ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and isinstance(call := statement.value, ast.Call)
        ):
            continue
        layer = getattr(module, target.attr, None)
        calls: list[tuple[str, Any, ast.expr]] = [(target.attr, layer, call)]
        if isinstance(layer, nn.Sequential) and _called(call) == "Sequential":
            calls = [(f"{target.attr}_{i}", layer[i], c) for i, c in enumerate(call.args)]
        for node_id, sub, made in calls:
            if not isinstance(made, ast.Call) or _called(made) != type(sub).__name__:
                continue  # a helper (conv3x3): its arguments are not the layer's
            try:
                bound = inspect.signature(type(sub)).bind_partial(
                    *made.args, **{k.arg: k.value for k in made.keywords if k.arg is not None}
                )
            except (TypeError, ValueError):
                continue
            for param, given in bound.arguments.items():
                if isinstance(given, ast.Name) and given.id in arguments:
                    found.setdefault(given.id, []).append((node_id, param))
    return found


def _called(call: ast.Call) -> str | None:
    """The name a call's callee ends in: ``Conv2d`` for ``nn.Conv2d(...)``."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None
