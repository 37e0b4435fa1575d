"""Small graphs written as data, for the compiler tests."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.graph import Edge, GraphModel, Node

# (id, block type, params, ids of the nodes feeding its input ports in order)
Spec = tuple[str, str, dict[str, Any], list[str]]


def graph_of(*nodes: Spec) -> GraphModel:
    graph = GraphModel()
    for node_id, block, params, _ in nodes:
        graph.add_node(Node(node_id, block, params))
    for node_id, _, _, sources in nodes:
        for port, source in enumerate(sources):
            graph.connect(Edge(source, node_id, port))
    return graph


def chain(input_shape: list[int], *layers: tuple[str, str, dict[str, Any]]) -> GraphModel:
    """Input -> layers in order -> Output (ids ``x`` and ``out``)."""
    nodes: list[Spec] = [("x", "Input", {"shape": input_shape}, [])]
    for node_id, block, params in layers:
        nodes.append((node_id, block, params, [nodes[-1][0]]))
    nodes.append(("out", "Output", {}, [nodes[-1][0]]))
    return graph_of(*nodes)


def lenet5() -> GraphModel:
    return chain(
        [1, 28, 28],
        ("conv1", "Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}),
        ("relu1", "ReLU", {}),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 5}),
        ("relu2", "ReLU", {}),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 120}),
        ("relu3", "ReLU", {}),
        ("fc2", "Linear", {"out_features": 84}),
        ("relu4", "ReLU", {}),
        ("fc3", "Linear", {"out_features": 10}),
    )


def _conv(out: int, kernel: int, stride: int = 1, padding: int = 0) -> dict[str, Any]:
    return {
        "out_channels": out,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "bias": False,
    }


def residual_block() -> GraphModel:
    """conv-bn-relu-conv-bn plus a strided 1x1 conv-bn projection, added, then ReLU."""
    return graph_of(
        ("x", "Input", {"shape": [8, 16, 16]}, []),
        ("conv1", "Conv2d", _conv(16, 3, 2, 1), ["x"]),
        ("bn1", "BatchNorm2d", {}, ["conv1"]),
        ("relu1", "ReLU", {}, ["bn1"]),
        ("conv2", "Conv2d", _conv(16, 3, 1, 1), ["relu1"]),
        ("bn2", "BatchNorm2d", {}, ["conv2"]),
        ("proj", "Conv2d", _conv(16, 1, 2), ["x"]),
        ("proj_bn", "BatchNorm2d", {}, ["proj"]),
        ("add", "Add", {}, ["bn2", "proj_bn"]),
        ("relu2", "ReLU", {}, ["add"]),
        ("out", "Output", {}, ["relu2"]),
    )


def inception_block() -> GraphModel:
    """Four branches (1x1, 1x1-3x3, 1x1-5x5, pool-1x1) joined by Concat, then a linear head."""
    return graph_of(
        ("x", "Input", {"shape": [8, 12, 12]}, []),
        ("b1", "Conv2d", {"out_channels": 4, "kernel_size": 1}, ["x"]),
        ("b1_relu", "ReLU", {}, ["b1"]),
        ("b2_reduce", "Conv2d", {"out_channels": 4, "kernel_size": 1}, ["x"]),
        ("b2_reduce_relu", "ReLU", {}, ["b2_reduce"]),
        ("b2", "Conv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, ["b2_reduce_relu"]),
        ("b2_relu", "ReLU", {}, ["b2"]),
        ("b3_reduce", "Conv2d", {"out_channels": 2, "kernel_size": 1}, ["x"]),
        ("b3_reduce_relu", "ReLU", {}, ["b3_reduce"]),
        ("b3", "Conv2d", {"out_channels": 3, "kernel_size": 5, "padding": 2}, ["b3_reduce_relu"]),
        ("b3_relu", "ReLU", {}, ["b3"]),
        ("b4_pool", "MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, ["x"]),
        ("b4", "Conv2d", {"out_channels": 3, "kernel_size": 1}, ["b4_pool"]),
        ("b4_relu", "ReLU", {}, ["b4"]),
        ("cat", "Concat", {"dim": 1}, ["b1_relu", "b2_relu", "b3_relu", "b4_relu"]),
        ("gap", "AdaptiveAvgPool2d", {}, ["cat"]),
        ("flatten", "Flatten", {}, ["gap"]),
        ("fc", "Linear", {"out_features": 10}, ["flatten"]),
        ("out", "Output", {}, ["fc"]),
    )
