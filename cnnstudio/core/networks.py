"""Well-known networks built in code from group definitions, for the New-from-template menu.

ResNet-18 is built here rather than shipped as an example file: at 224x224 with 1000 classes it
is a starting point for real data, too big for the examples every test trains.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.core.graph import GROUP, Definition, Edge, ExposedParam, GraphModel, InputPort, Node
from cnnstudio.core.project import Project

_STEP = 200.0  # canvas distance between neighbouring blocks


def _conv(out: int, kernel: int, stride: int = 1, padding: int = 0) -> dict[str, Any]:
    return {
        "out_channels": out,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "bias": False,
    }


def _chain(graph: GraphModel, blocks: list[tuple[str, str, dict[str, Any]]], y: float) -> None:
    """Add ``blocks`` left to right on row ``y``, each fed by the one before."""
    for i, (node_id, block, params) in enumerate(blocks):
        graph.add_node(Node(node_id, block, params, (_STEP * i, y)))
        if i:
            graph.connect(Edge(blocks[i - 1][0], node_id))


def _residual_block(root: GraphModel, name: str, channels: int, stride: int) -> Definition:
    """torchvision's BasicBlock: conv-bn-relu-conv-bn plus the shortcut, added, then ReLU. With
    ``stride`` > 1 the shortcut is a strided 1x1 convolution (``downsample``)."""
    inner = GraphModel(root.definitions)
    _chain(
        inner,
        [
            ("conv1", "Conv2d", _conv(channels, 3, stride, 1)),
            ("bn1", "BatchNorm2d", {}),
            ("relu1", "ReLU", {}),
            ("conv2", "Conv2d", _conv(channels, 3, 1, 1)),
            ("bn2", "BatchNorm2d", {}),
            ("add", "Add", {}),
            ("relu2", "ReLU", {}),
        ],
        0.0,
    )
    widths = [("conv1", "out_channels"), ("conv2", "out_channels")]
    targets = [("conv1", 0)]
    params = []
    if stride > 1:
        _chain(
            inner,
            [
                ("downsample", "Conv2d", _conv(channels, 1, stride)),
                ("downsample_bn", "BatchNorm2d", {}),
            ],
            140.0,
        )
        inner.connect(Edge("downsample_bn", "add", 1))
        widths.append(("downsample", "out_channels"))
        targets.append(("downsample", 0))
        params.append(ExposedParam("stride", (("conv1", "stride"), ("downsample", "stride"))))
    else:
        targets.append(("add", 1))
    params.insert(0, ExposedParam("channels", tuple(widths)))
    return Definition(name, inner, [InputPort("conv1", tuple(targets))], "relu2", params)


def resnet18(classes: int = 1000, size: int = 224) -> Project:
    """ResNet-18 as torchvision builds it (11,689,512 parameters for 1000 classes): a stem, four
    stages of two residual blocks and a linear head. ``BasicBlock`` keeps the shape (``channels``),
    ``DownBlock`` halves the size with a strided shortcut (``channels``, ``stride``)."""
    graph = GraphModel()
    graph.definitions.add(_residual_block(graph, "BasicBlock", 64, 1))
    graph.definitions.add(_residual_block(graph, "DownBlock", 128, 2))
    _chain(
        graph,
        [
            ("input", "Input", {"shape": [3, size, size]}),
            ("conv1", "Conv2d", _conv(64, 7, 2, 3)),
            ("bn1", "BatchNorm2d", {}),
            ("relu", "ReLU", {}),
            ("maxpool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ],
        0.0,
    )
    previous = "maxpool"
    stages: list[tuple[str, str, dict[str, Any], int]] = [("layer1", "BasicBlock", {}, 2)]
    for stage, channels in ((2, 128), (3, 256), (4, 512)):
        down = {} if channels == 128 else {"channels": channels}
        stages.append((f"layer{stage}_0", "DownBlock", down, 1))
        stages.append((f"layer{stage}_1", "BasicBlock", {"channels": channels}, 1))
    for i, (node_id, definition, params, repeat) in enumerate(stages):
        position = (_STEP * i, 160.0)
        graph.add_node(Node(node_id, GROUP, params, position, definition, repeat))
        graph.connect(Edge(previous, node_id))
        previous = node_id
    head = [
        ("avgpool", "AdaptiveAvgPool2d", {"output_size": 1}),
        ("flatten", "Flatten", {}),
        ("fc", "Linear", {"out_features": classes}),
        ("out", "Output", {}),
    ]
    for i, (node_id, block, params) in enumerate(head):
        graph.add_node(Node(node_id, block, params, (_STEP * i, 320.0)))
        graph.connect(Edge(previous, node_id))
        previous = node_id
    return Project(name="ResNet-18", graph=graph)
