"""Graph -> ``torch.fx.GraphModule``: real submodules wired by generated code, no interpreter."""

from __future__ import annotations

import importlib
import secrets
from typing import Any

import torch
import torch.fx as fx
import torch.nn as nn

from cnnstudio.core.analysis import Analysis, NodeInfo, analyze
from cnnstudio.core.blocks import Function, Lowering, get_spec
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import Definition, GraphModel
from cnnstudio.torch_backend.naming import class_name, fresh_name, unique_identifiers

NODE_IDS = "cnnstudio_node_ids"  # GraphModule.meta key: fx node name -> our node id
# A group's GraphModule.meta key: its definition's name and exposed parameters, as
# ``(name, ((param, ((node id, block param), ...), default), ...))``, for the Python export.
DEFINITION = "cnnstudio_definition"


class CompileError(CnnStudioError):
    """The graph has analysis errors; the message lists them."""


def resolve(path: str) -> Any:
    """The object a dotted path such as ``torch.nn.Conv2d`` or ``operator.add`` names."""
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def build_module(torch_class: str, kwargs: dict[str, Any]) -> nn.Module:
    """Instantiate ``torch_class`` (a dotted path such as ``torch.nn.Conv2d``) with ``kwargs``."""
    module: nn.Module = resolve(torch_class)(**kwargs)
    return module


def compile_graph(
    graph: GraphModel,
    seed: int | None = 0,
    name: str = "Network",
    analysis: Analysis | None = None,
) -> fx.GraphModule:
    """Compile a valid graph; parameters are initialised from ``seed`` without touching global RNG.

    ``seed=None`` draws a fresh seed, for a new random initialisation each time. The module
    takes ``[N, *input_shape]`` and returns the Output node's tensor. Submodules and the
    generated code's variables are named after node ids (made into identifiers), so
    ``print(model.code)`` reads naturally. Each block becomes what its spec's ``lowering`` says.
    """
    result = analysis or analyze(graph)
    if not result.valid:
        raise CompileError("cannot compile: " + "; ".join(i.message for i in result.errors))
    order = result.model_order()
    used: set[str] = set()
    names = unique_identifiers(order, used)
    root = nn.Module()
    fx_graph = fx.Graph()
    values: dict[str, fx.Node] = {}
    ids: dict[str, str] = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(secrets.randbits(63) if seed is None else seed)
        for node_id in order:
            node = graph.node(node_id)
            args = [values[e.source] for e in graph.inputs_of(node_id)]
            node_name = names[node_id]
            lowering = None if node.is_group else get_spec(node.type).lowering
            if lowering is Lowering.INPUT:
                value = fx_graph.create_node("placeholder", node_name, name=node_name)
            elif lowering is Lowering.OUTPUT:
                ids[fx_graph.output(args[0]).name] = node_id
                continue
            else:
                value = _lower(graph, node_id, result.nodes, args, fx_graph, root, node_name, used)
            values[node_id] = value
            ids[value.name] = node_id
    fx_graph.lint()
    module = fx.GraphModule(root, fx_graph, class_name=class_name(name))
    module.meta[NODE_IDS] = ids
    return module


def _lower(
    graph: GraphModel,
    node_id: str,
    infos: dict[str, NodeInfo],
    args: list[fx.Node],
    fx_graph: fx.Graph,
    root: nn.Module,
    node_name: str,
    used: set[str],
) -> fx.Node:
    """The fx node computing a block or a group (a submodule named ``node_name``)."""
    node, info = graph.node(node_id), infos[node_id]
    if node.is_group:
        root.add_module(node_name, group_module(graph, node_id, info))
        return fx_graph.create_node("call_module", node_name, tuple(args), name=node_name)
    spec = get_spec(node.type)
    if spec.function is not None:
        return _call(fx_graph, spec.function, args, info.kwargs, node_name, used)
    assert spec.torch_class is not None, spec.type
    root.add_module(node_name, build_module(spec.torch_class, info.kwargs))
    return fx_graph.create_node("call_module", node_name, tuple(args), name=node_name)


def group_module(graph: GraphModel, node_id: str, info: NodeInfo) -> nn.Module:
    """A group instance as a module of its definition's class; a repeat is an ``nn.Sequential``
    of them, so parameters read ``layer1.0.conv1.weight`` like torchvision's."""
    node = graph.node(node_id)
    definition = graph.definitions.get(node.definition)
    inner = definition.instantiate(node.params)
    copies = [_definition_module(inner, definition, infos) for infos in info.inner]
    return copies[0] if node.repeat == 1 else nn.Sequential(*copies)


def _definition_module(
    inner: GraphModel, definition: Definition, infos: dict[str, NodeInfo]
) -> fx.GraphModule:
    """One repetition of a group: its input ports become the arguments (``x`` for one input)."""
    order = [n for n in inner.topological_order() if infos[n].in_model]
    used: set[str] = set()
    names = unique_identifiers(order, used)
    root = nn.Module()
    fx_graph = fx.Graph()
    ports: dict[tuple[str, int], fx.Node] = {}
    for i, port in enumerate(definition.inputs):
        base = "x" if len(definition.inputs) == 1 else f"x{i}"
        arg = fresh_name(base, used)
        placeholder = fx_graph.create_node("placeholder", arg, name=arg)
        ports.update({target: placeholder for target in port.targets})
    values: dict[str, fx.Node] = {}
    ids: dict[str, str] = {}
    for node_id in order:
        feeds = {e.target_port: values[e.source] for e in inner.inputs_of(node_id)}
        feeds.update({p: v for (t, p), v in ports.items() if t == node_id})
        args = [feeds[p] for p in sorted(feeds)]
        value = _lower(inner, node_id, infos, args, fx_graph, root, names[node_id], used)
        values[node_id] = value
        ids[value.name] = node_id
    fx_graph.output(values[definition.output])
    fx_graph.lint()
    module = fx.GraphModule(root, fx_graph, class_name=class_name(definition.name))
    module.meta[NODE_IDS] = ids
    defaults = definition.defaults()
    exposed = tuple((p.name, p.bindings, defaults[p.name]) for p in definition.params)
    module.meta[DEFINITION] = (definition.name, exposed)
    return module


def _call(
    graph: fx.Graph,
    function: Function,
    args: list[fx.Node],
    kwargs: dict[str, Any],
    node_name: str,
    used: set[str],
) -> fx.Node:
    """The ``call_function`` node(s) of a function block; the last one is named ``node_name``.

    A chained function gives ``a + b + c`` as a partial sum (a node of its own, with no block
    id) followed by the block's node.
    """
    target = resolve(function.path)
    if not function.chain:
        return graph.create_node("call_function", target, (args,), kwargs, name=node_name)
    value = args[0]
    for arg in args[1:-1]:
        partial = fresh_name(node_name.rstrip("_") + "_partial", used)
        value = graph.create_node("call_function", target, (value, arg), kwargs, name=partial)
    return graph.create_node("call_function", target, (value, args[-1]), kwargs, name=node_name)


def feature_extractor(model: fx.GraphModule) -> fx.GraphModule:
    """A module sharing ``model``'s submodules that returns ``{node_id: activation}`` for every node.

    Used for probes (feature maps) so the training forward pass carries no hooks at all. The
    Output node's activation is the tensor the model returns.
    """
    ids: dict[str, str] = model.meta[NODE_IDS]
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    outputs: dict[str, fx.Node] = {}
    for node in model.graph.nodes:
        if node.op == "output":
            value = env[node.args[0]]
        else:
            value = env[node] = graph.node_copy(node, lambda n: env[n])
        if node.name in ids:
            outputs[ids[node.name]] = value
    graph.output(outputs)
    probe = fx.GraphModule(model, graph, class_name=f"{type(model).__name__}Features")
    return probe
