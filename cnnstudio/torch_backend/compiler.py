"""Graph -> ``torch.fx.GraphModule``: real submodules wired by generated code, no interpreter."""

from __future__ import annotations

import importlib
import operator
from typing import Any

import torch
import torch.fx as fx
import torch.nn as nn

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.blocks import get_spec
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import GraphModel
from cnnstudio.torch_backend.naming import class_name, unique_identifiers

NODE_IDS = "cnnstudio_node_ids"  # GraphModule.meta key: fx node name -> our node id


class CompileError(CnnStudioError):
    """The graph has analysis errors; the message lists them."""


def build_module(torch_class: str, kwargs: dict[str, Any]) -> nn.Module:
    module_name, _, cls_name = torch_class.rpartition(".")
    cls = getattr(importlib.import_module(module_name), cls_name)
    module: nn.Module = cls(**kwargs)
    return module


def compile_graph(
    graph: GraphModel,
    seed: int | None = 0,
    name: str = "Network",
    analysis: Analysis | None = None,
) -> fx.GraphModule:
    """Compile a valid graph; parameters are initialised from ``seed`` without touching global RNG.

    The module takes ``[N, *input_shape]`` and returns the Output node's tensor. Submodules are
    named after node ids (made into identifiers), so ``print(model.code)`` reads naturally.
    """
    result = analysis or analyze(graph)
    if not result.valid:
        raise CompileError("cannot compile: " + "; ".join(i.message for i in result.errors))
    order = result.model_order()
    names = unique_identifiers(order)
    root = nn.Module()
    fx_graph = fx.Graph()
    values: dict[str, fx.Node] = {}
    ids: dict[str, str] = {}
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        for node_id in order:
            node, info = graph.node(node_id), result.nodes[node_id]
            args = [values[e.source] for e in graph.inputs_of(node_id)]
            if node.type == "Input":
                value = fx_graph.placeholder(names[node_id])
            elif node.type == "Output":
                fx_graph.output(args[0])
                continue
            elif node.type == "Add":
                value = args[0]
                for i, arg in enumerate(args[1:], 1):
                    last = i == len(args) - 1
                    value = fx_graph.create_node(
                        "call_function",
                        operator.add,
                        (value, arg),
                        name=names[node_id] if last else None,
                    )
            elif node.type == "Concat":
                value = fx_graph.create_node(
                    "call_function",
                    torch.cat,
                    (args,),
                    {"dim": info.kwargs["dim"]},
                    name=names[node_id],
                )
            else:
                torch_class = get_spec(node.type).torch_class
                assert torch_class is not None, node.type
                root.add_module(names[node_id], build_module(torch_class, info.kwargs))
                value = fx_graph.call_module(names[node_id], tuple(args))
            values[node_id] = value
            ids[value.name] = node_id
    fx_graph.lint()
    module = fx.GraphModule(root, fx_graph, class_name=class_name(name))
    module.meta[NODE_IDS] = ids
    return module


def feature_extractor(model: fx.GraphModule) -> fx.GraphModule:
    """A module sharing ``model``'s submodules that returns ``{node_id: activation}`` for every node.

    Used for probes (feature maps) so the training forward pass carries no hooks at all.
    """
    ids: dict[str, str] = model.meta[NODE_IDS]
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    for node in model.graph.nodes:
        if node.op == "output":
            continue
        env[node] = graph.node_copy(node, lambda n: env[n])
    outputs = {ids[n.name]: env[n] for n in model.graph.nodes if n.name in ids}
    graph.output(outputs)
    probe = fx.GraphModule(model, graph, class_name=f"{type(model).__name__}Features")
    return probe
