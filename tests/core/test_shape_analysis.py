"""Shape analysis: exact shapes, parameter counts and MACs; errors name node, block and shapes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cnnstudio.core.analysis import Analysis, Issue, analyze
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import load_project

EXAMPLES = Path(__file__).parents[2] / "examples"
MakeChain = Callable[..., GraphModel]


def _one(make_chain: MakeChain, block: str, params: dict[str, Any], shape: list[int]) -> Analysis:
    return analyze(make_chain([("n", block, params)], shape=shape))


@pytest.mark.parametrize(
    ("block", "params", "shape", "out", "weights", "macs"),
    [
        ("Conv2d", {"out_channels": 16, "padding": 1}, [3, 32, 32], (16, 32, 32), 448, 442_368),
        (
            "Conv2d",
            {"out_channels": 8, "kernel_size": [3, 5], "stride": 2, "bias": False},
            [4, 17, 17],
            (8, 8, 7),
            480,
            26_880,
        ),
        (
            "Conv2d",
            {"out_channels": 8, "dilation": 2, "padding": 2, "groups": 2},
            [4, 10, 10],
            (8, 10, 10),
            152,
            14_400,
        ),
        (
            "Conv2d",
            {"out_channels": 6, "kernel_size": 4, "padding": "same"},
            [2, 9, 9],
            (6, 9, 9),
            198,
            15_552,
        ),
        ("Conv2d", {"out_channels": 1, "padding": "valid"}, [1, 5, 5], (1, 3, 3), 10, 81),
        ("ConvTranspose2d", {"out_channels": 8}, [16, 8, 8], (8, 16, 16), 520, 32_768),
        (
            "ConvTranspose2d",
            {"out_channels": 4, "kernel_size": 3, "padding": 1, "output_padding": 1},
            [2, 5, 5],
            (4, 10, 10),
            76,
            1_800,
        ),
        ("MaxPool2d", {"kernel_size": 2}, [6, 28, 28], (6, 14, 14), 0, 0),
        (
            "MaxPool2d",
            {"kernel_size": 3, "stride": 2, "ceil_mode": True},
            [1, 8, 8],
            (1, 4, 4),
            0,
            0,
        ),
        (
            "MaxPool2d",
            {"kernel_size": 3, "stride": 2, "ceil_mode": True},
            [1, 6, 6],
            (1, 3, 3),
            0,
            0,
        ),
        ("AvgPool2d", {"kernel_size": 2, "stride": 1, "padding": 1}, [2, 4, 4], (2, 5, 5), 0, 0),
        ("AdaptiveAvgPool2d", {}, [32, 7, 7], (32, 1, 1), 0, 0),
        ("AdaptiveMaxPool2d", {"output_size": [2, 3]}, [5, 7, 7], (5, 2, 3), 0, 0),
        ("Linear", {"out_features": 120}, [400], (120,), 48_120, 48_000),
        ("Linear", {"out_features": 10, "bias": False}, [84], (10,), 840, 840),
        ("Flatten", {}, [16, 5, 5], (400,), 0, 0),
        ("Flatten", {"start_dim": 2}, [4, 3, 5], (4, 15), 0, 0),
        ("Flatten", {"start_dim": -2}, [4, 3, 5], (4, 15), 0, 0),
        ("Flatten", {"start_dim": 2, "end_dim": 2}, [4, 3, 5], (4, 3, 5), 0, 0),
        ("BatchNorm2d", {}, [8, 4, 4], (8, 4, 4), 16, 128),
        ("BatchNorm2d", {"affine": False}, [8, 4, 4], (8, 4, 4), 0, 128),
        ("BatchNorm1d", {}, [10], (10,), 20, 10),
        ("BatchNorm1d", {}, [3, 7], (3, 7), 6, 21),
        ("GroupNorm", {"num_groups": 2}, [4, 3, 3], (4, 3, 3), 8, 36),
        ("LayerNorm", {}, [4, 2, 2], (4, 2, 2), 32, 16),
        ("LayerNorm", {"bias": False}, [4, 2, 2], (4, 2, 2), 16, 16),
        ("LayerNorm", {"elementwise_affine": False}, [4, 2, 2], (4, 2, 2), 0, 16),
        ("PReLU", {"num_parameters": 3}, [3, 4, 4], (3, 4, 4), 3, 0),
        ("PReLU", {}, [3, 4, 4], (3, 4, 4), 1, 0),
        ("Upsample", {}, [2, 3, 5], (2, 6, 10), 0, 0),
        (
            "Upsample",
            {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True},
            [2, 3, 5],
            (2, 4, 7),
            0,
            0,
        ),
        ("Upsample", {"size": [7, 9], "scale_factor": None}, [2, 3, 5], (2, 7, 9), 0, 0),
        ("ZeroPad2d", {"padding": [1, 2, 3, 4]}, [1, 5, 5], (1, 12, 8), 0, 0),
        ("ZeroPad2d", {}, [6, 5], (8, 7), 0, 0),
        ("Dropout2d", {"p": 0.2}, [3, 4, 4], (3, 4, 4), 0, 0),
        ("Dropout", {}, [7], (7,), 0, 0),
        ("ReLU", {}, [3, 4, 4], (3, 4, 4), 0, 0),
        ("GELU", {"approximate": "tanh"}, [9], (9,), 0, 0),
        ("Softmax", {"dim": -1}, [10], (10,), 0, 0),
        ("Identity", {}, [2, 2, 2], (2, 2, 2), 0, 0),
    ],
)
def test_known_layers(
    make_chain: MakeChain,
    block: str,
    params: dict[str, Any],
    shape: list[int],
    out: tuple[int, ...],
    weights: int,
    macs: int,
) -> None:
    result = _one(make_chain, block, params, shape)
    info = result.nodes["n"]
    assert info.status == "ok", info.message
    assert (info.output_shape, info.params, info.macs) == (out, weights, macs)
    assert info.input_shapes == [tuple(shape)]
    assert result.total_params == weights
    assert result.macs == macs


def test_kwargs_are_the_full_constructor_arguments(make_chain: MakeChain) -> None:
    params = {"out_channels": 8, "kernel_size": [3, 5], "padding": "same"}
    info = _one(make_chain, "Conv2d", params, [3, 8, 8]).nodes["n"]
    assert info.kwargs == {
        "in_channels": 3,
        "out_channels": 8,
        "kernel_size": (3, 5),
        "stride": 1,
        "padding": "same",
        "dilation": 1,
        "groups": 1,
        "bias": True,
        "padding_mode": "zeros",
    }
    assert _one(make_chain, "Linear", {}, [12]).nodes["n"].kwargs == {
        "in_features": 12,
        "out_features": 10,
        "bias": True,
    }


@pytest.mark.parametrize(
    ("block", "params", "shape", "message"),
    [
        (
            "Conv2d",
            {"kernel_size": 5},
            [3, 3, 3],
            "kernel 5x5 is larger than its 3x3 input (after padding 0)",
        ),
        (
            "Conv2d",
            {"kernel_size": [5, 1], "padding": [1, 0]},
            [3, 2, 2],
            "kernel 5x1 is larger than its 2x2 input (after padding 1x0)",
        ),
        (
            "Conv2d",
            {"dilation": 2},
            [1, 4, 4],
            "kernel 3x3 (dilated to 5x5) is larger than its 4x4 input (after padding 0)",
        ),
        (
            "Conv2d",
            {"out_channels": 8, "groups": 3},
            [4, 8, 8],
            "groups=3 must divide both the 4 input channels and 8 output channels",
        ),
        ("Conv2d", {"padding": "same", "stride": 2}, [1, 8, 8], "padding='same' needs stride 1"),
        ("Conv2d", {}, [10], "expects a [C, H, W] input, got [10]"),
        (
            "ConvTranspose2d",
            {"output_padding": 2},
            [1, 4, 4],
            "output_padding 2x2 must be smaller than the stride 2x2 or the dilation 1x1",
        ),
        (
            "ConvTranspose2d",
            {"stride": 1, "padding": 3},
            [1, 2, 2],
            "padding 3x3 leaves no output for a 2x2 input",
        ),
        ("Upsample", {"size": 4}, [1, 4, 4], "set exactly one of size and scale_factor"),
        ("Upsample", {"scale_factor": None}, [1, 4, 4], "set exactly one of size and scale_factor"),
        (
            "Upsample",
            {"align_corners": True},
            [1, 4, 4],
            "align_corners only applies to bilinear and bicubic, not nearest",
        ),
        (
            "Upsample",
            {"scale_factor": 0.01},
            [1, 4, 4],
            "scale_factor 0.01 leaves no output for a 4x4 input",
        ),
        ("ZeroPad2d", {}, [5], "expects an input with height and width, got [5]"),
        ("MaxPool2d", {"padding": 2}, [1, 8, 8], "padding 2x2 must be at most half the kernel 2x2"),
        (
            "MaxPool2d",
            {"kernel_size": 5},
            [1, 3, 3],
            "kernel 5x5 is larger than its 3x3 input (after padding 0)",
        ),
        ("AvgPool2d", {"kernel_size": 3}, [4], "expects a [C, H, W] input, got [4]"),
        ("AdaptiveAvgPool2d", {}, [10], "expects a [C, H, W] input, got [10]"),
        (
            "PReLU",
            {"num_parameters": 2},
            [3, 4, 4],
            "num_parameters must be 1 or the 3 channels of its [3, 4, 4] input, got 2",
        ),
        ("Softmax", {"dim": 0}, [3, 4, 4], "dim=0 is the batch dimension; use 1..3"),
        (
            "LogSoftmax",
            {"dim": 5},
            [10],
            "dim=5 is out of range for a [10] input (dims 1..1; 0 is the batch)",
        ),
        ("Flatten", {"start_dim": 3, "end_dim": 2}, [2, 3, 4], "start_dim=3 comes after end_dim=2"),
        ("Flatten", {"start_dim": 0}, [2, 3, 4], "start_dim=0 is the batch dimension; use 1..3"),
        (
            "Linear",
            {},
            [16, 5, 5],
            "expects a flat [features] input, got [16, 5, 5]; add a Flatten before it",
        ),
        ("BatchNorm2d", {}, [10], "expects a [C, H, W] input, got [10]"),
        ("BatchNorm1d", {}, [2, 3, 4], "expects a [F] or [C, L] input, got [2, 3, 4]"),
        (
            "GroupNorm",
            {"num_groups": 3},
            [4, 2, 2],
            "num_groups=3 does not divide the 4 input channels",
        ),
        ("GroupNorm", {}, [4], "expects a [C, ...] input with spatial size, got [4]"),
        ("Dropout2d", {}, [10], "expects a [C, H, W] input, got [10]"),
    ],
)
def test_shape_errors_name_node_block_and_shapes(
    make_chain: MakeChain, block: str, params: dict[str, Any], shape: list[int], message: str
) -> None:
    result = _one(make_chain, block, params, shape)
    info = result.nodes["n"]
    assert info.status == "error"
    assert info.message == f"n ({block}): {message}"
    assert result.errors == [Issue("n", info.message)]
    assert not result.valid
    out = result.nodes["out"]
    assert (out.status, out.output_shape) == ("unknown", None)
    assert out.message == "out (Output): shape unknown until the nodes before it are fixed"


def _two_branches(
    channels: tuple[int, int], merge: str, params: dict[str, Any] | None = None
) -> GraphModel:
    g = GraphModel()
    g.add_node(Node("input", "Input", {"shape": [3, 8, 8]}))
    for name, c in zip(("a", "b"), channels, strict=True):
        g.add_node(Node(name, "Conv2d", {"out_channels": c, "padding": 1}))
        g.connect(Edge("input", name))
    g.add_node(Node("add1", merge, params or {}))
    g.connect(Edge("a", "add1", 0))
    g.connect(Edge("b", "add1", 1))
    for name, block in (("flat", "Flatten"), ("fc", "Linear"), ("out", "Output")):
        g.add_node(Node(name, block))
    g.connect(Edge("add1", "flat"))
    g.connect(Edge("flat", "fc"))
    g.connect(Edge("fc", "out"))
    return g


def test_add_of_equal_shapes_counts_one_mac_per_extra_input() -> None:
    result = analyze(_two_branches((8, 8), "Add"))
    info = result.nodes["add1"]
    assert (info.output_shape, info.params, info.macs) == ((8, 8, 8), 0, 512)
    assert result.valid


def test_add_of_different_shapes_quotes_both() -> None:
    result = analyze(_two_branches((64, 32), "Add"))
    assert result.nodes["add1"].message == "add1 (Add): inputs differ: [64, 8, 8] vs [32, 8, 8]"
    assert [i.message for i in result.errors] == [
        "add1 (Add): inputs differ: [64, 8, 8] vs [32, 8, 8]"
    ]
    for downstream in ("flat", "fc", "out"):
        assert result.nodes[downstream].status == "unknown"
    assert result.nodes["a"].status == "ok"


def test_add_with_one_input_needs_another() -> None:
    g = _two_branches((8, 8), "Add")
    g.disconnect(Edge("b", "add1", 1))
    result = analyze(g)
    assert result.nodes["add1"].message == "add1 (Add): needs at least 2 inputs, has 1"
    assert result.warnings == [
        Issue("b", "b (Conv2d): not connected to the Output; ignored", "warning")
    ]


@pytest.mark.parametrize(("dim", "out"), [(1, (12, 8, 8)), (-3, (12, 8, 8))])
def test_concat_joins_along_dim(dim: int, out: tuple[int, ...]) -> None:
    result = analyze(_two_branches((4, 8), "Concat", {"dim": dim}))
    info = result.nodes["add1"]
    assert info.output_shape == out
    assert info.kwargs == {"dim": 1}
    assert result.nodes["fc"].kwargs["in_features"] == 12 * 8 * 8


def test_concat_of_mismatched_shapes_quotes_both() -> None:
    result = analyze(_two_branches((4, 8), "Concat", {"dim": 2}))
    assert result.nodes["add1"].message == (
        "add1 (Concat): inputs must match except in dim 2: [4, 8, 8] vs [8, 8, 8]"
    )


def test_unconnected_input_port_is_an_error_and_downstream_is_unknown(
    make_chain: MakeChain,
) -> None:
    g = make_chain([("conv1", "Conv2d", {}), ("relu1", "ReLU", {}), ("flat", "Flatten", {})])
    g.disconnect(Edge("input", "conv1"))
    result = analyze(g)
    assert result.nodes["conv1"].message == "conv1 (Conv2d): input is not connected"
    assert [i.node for i in result.errors] == ["conv1"]
    assert [result.nodes[n].status for n in ("relu1", "flat", "out")] == ["unknown"] * 3
    assert result.warnings == [
        Issue("input", "input (Input): not connected to the Output; ignored", "warning")
    ]
    assert result.total_params == 0


def test_graph_without_input_or_output() -> None:
    g = GraphModel.from_parts([Node("r", "ReLU")], [])
    result = analyze(g)
    assert result.errors == [
        Issue(None, "the graph has no Input node"),
        Issue(None, "the graph has no Output node"),
        Issue("r", "r (ReLU): input is not connected"),
    ]
    assert result.warnings == []
    assert (result.input_shape, result.output_shape, result.total_params) == (None, None, 0)


def test_empty_graph_is_invalid_not_a_crash() -> None:
    result = analyze(GraphModel())
    assert [i.message for i in result.errors] == [
        "the graph has no Input node",
        "the graph has no Output node",
    ]
    assert result.order == []
    assert result.model_order() == []


def test_second_input_and_output_are_errors(make_chain: MakeChain) -> None:
    g = make_chain([("flat", "Flatten", {})])
    g.add_node(Node("input2", "Input"))
    g.add_node(Node("out2", "Output"))
    g.connect(Edge("flat", "out2"))
    messages = [i.message for i in analyze(g).errors]
    assert "input2 (Input): only one Input is supported; input is the first" in messages
    assert "out2 (Output): only one Output is supported; out is the first" in messages


def test_unreachable_nodes_are_warned_about_and_left_out_of_totals(make_chain: MakeChain) -> None:
    g = make_chain([("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10})], shape=[4])
    g.add_node(Node("side", "Linear", {"out_features": 100}))
    g.add_node(Node("side_act", "ReLU"))
    g.connect(Edge("flat", "side"))
    g.connect(Edge("side", "side_act"))
    result = analyze(g)
    assert result.valid
    assert [i.message for i in result.warnings] == [
        "side (Linear): not connected to the Output; ignored",
        "side_act (ReLU): not connected to the Output; ignored",
    ]
    assert result.nodes["side"].status == "ok"
    assert not result.nodes["side"].in_model
    assert result.total_params == result.trainable_params == 50
    assert result.model_order() == ["input", "flat", "fc", "out"]


def test_softmax_before_the_output_is_a_warning(make_chain: MakeChain) -> None:
    result = analyze(make_chain([("sm", "Softmax", {})], shape=[10]))
    assert result.valid
    assert [i.node for i in result.warnings] == ["sm"]
    assert "a softmax before it slows learning" in result.warnings[0].message


def test_image_shaped_output_is_a_warning(make_chain: MakeChain) -> None:
    result = analyze(
        make_chain([("conv", "Conv2d", {"out_channels": 8, "padding": 1})], shape=[1, 4, 4])
    )
    assert result.valid
    assert [i.message for i in result.warnings] == [
        "out (Output): class scores should be a vector, got [8, 4, 4]; add Flatten and Linear before it"
    ]


def test_totals_memory_and_model_shapes(make_chain: MakeChain) -> None:
    g = make_chain(
        [
            ("conv", "Conv2d", {"out_channels": 2, "padding": 1}),
            ("flat", "Flatten", {}),
            ("fc", "Linear", {"out_features": 3}),
        ],
        shape=[1, 4, 4],
    )
    result = analyze(g)
    assert result.order == ["input", "conv", "flat", "fc", "out"]
    assert result.total_params == (2 * 9 + 2) + (32 * 3 + 3)
    assert result.macs == 2 * 16 * 9 + 32 * 3
    assert result.memory == 4 * (16 + 32 + 32 + 3 + 3)
    assert result.nodes["fc"].memory == 12
    assert (result.input_shape, result.output_shape) == ((1, 4, 4), (3,))
    assert (result.input_id, result.output_id) == ("input", "out")


@pytest.mark.parametrize(
    ("path", "params", "macs", "shape"),
    [
        ("lenet5", 61_706, 416_520, (1, 28, 28)),
        ("vgg_small", 204_794, 10_069_248, (3, 32, 32)),
        ("resnet_small", 78_042, 12_616_320, (3, 32, 32)),
        ("inception_small", 25_958, 3_490_912, (3, 32, 32)),
    ],
)
def test_examples_analyse_cleanly(
    path: str, params: int, macs: int, shape: tuple[int, ...]
) -> None:
    result = analyze(load_project(EXAMPLES / f"{path}.cnnstudio").graph)
    assert result.issues == []
    assert (result.total_params, result.macs) == (params, macs)
    assert (result.input_shape, result.output_shape) == (shape, (10,))
    assert result.model_order() == result.order


def test_a_kernel_larger_than_a_shrunken_input_is_reported_where_it_happens(
    make_chain: MakeChain,
) -> None:
    g = make_chain(
        [
            ("conv1", "Conv2d", {}),
            ("conv2", "Conv2d", {}),
            ("conv3", "Conv2d", {"kernel_size": 5}),
            ("flat", "Flatten", {}),
        ],
        shape=[1, 7, 7],
    )
    result = analyze(g)
    assert [i.message for i in result.errors] == [
        "conv3 (Conv2d): kernel 5x5 is larger than its 3x3 input (after padding 0)"
    ]
    assert result.nodes["conv2"].output_shape == (16, 3, 3)
    assert result.nodes["flat"].status == "unknown"


def test_output_size_against_the_dataset_classes_names_the_layer_to_fix(
    make_chain: MakeChain,
) -> None:
    g = make_chain(
        [("flat", "Flatten", {}), ("fc3", "Linear", {"out_features": 7}), ("act", "ReLU", {})],
        shape=[1, 4, 4],
    )
    assert analyze(g).valid  # without a dataset nothing is known about the classes
    assert analyze(g, 7, "shapes").valid
    result = analyze(g, 10, "shapes")
    assert result.errors == [
        Issue(
            "fc3",  # past the ReLU, the layer whose setting decides the size
            "fc3 (Linear): 7 outputs but dataset 'shapes' has 10 classes — set out_features to 10",
        )
    ]


def test_output_size_set_by_a_block_without_out_features(make_chain: MakeChain) -> None:
    result = analyze(make_chain([("flat", "Flatten", {})], shape=[2, 2, 2]), 10, "mnist")
    assert [(i.node, i.message) for i in result.errors] == [
        (
            "flat",
            "flat (Flatten): gives [8] but dataset 'mnist' has 10 classes — end the network in "
            "10 values, e.g. a Linear layer with out_features=10",
        )
    ]


def test_no_class_issue_while_the_output_shape_is_unknown(make_chain: MakeChain) -> None:
    g = make_chain([("fc", "Linear", {"out_features": 7})], shape=[1, 4, 4])
    g.disconnect(Edge("input", "fc"))
    result = analyze(g, 10, "shapes")
    assert [i.node for i in result.errors] == ["fc"]  # only the missing wire
