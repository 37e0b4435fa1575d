"""Derived sizes and receptive fields against torch: the sizes torch gives on the meta device,
and the receptive field the analysis derives against the one gradients show in the real model.

For each spatial node the gradient of one output position (summed over channels) with respect
to the input marks every input pixel that position depends on; over a batch of random inputs
(max pooling routes each gradient through one tap) their bounding box must be the derived field,
clipped to the input (exactly, where the field lies inside the input).
"""

from __future__ import annotations

import pytest
import torch
from graph_recipes import chain, graph_of, inception_block, lenet5, residual_block

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import load_project
from cnnstudio.core.shipped import examples_dir
from cnnstudio.torch_backend.compiler import compile_graph, feature_extractor

BATCH = 48


def _dilated_strided() -> GraphModel:
    return chain(
        [1, 40, 36],
        ("dil", "Conv2d", {"out_channels": 4, "kernel_size": 3, "dilation": [2, 3], "padding": 1}),
        ("act", "ReLU", {}),
        ("strided", "Conv2d", {"out_channels": 4, "kernel_size": [3, 5], "stride": [2, 3]}),
        ("pool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2}),
        ("avg", "AvgPool2d", {"kernel_size": 2, "ceil_mode": True}),
        ("same", "Conv2d", {"out_channels": 2, "kernel_size": 4, "padding": "same"}),
        ("pad", "ZeroPad2d", {"padding": [2, 0, 1, 3]}),
        ("last", "Conv2d", {"out_channels": 2, "kernel_size": 2}),
        ("flat", "Flatten", {}),
    )


def _branches() -> GraphModel:
    """Two branches of different fields joined: the union of both."""
    return graph_of(
        ("x", "Input", {"shape": [1, 24, 24]}, []),
        ("a", "Conv2d", {"out_channels": 2, "kernel_size": 7, "padding": 3}, ["x"]),
        ("b", "Conv2d", {"out_channels": 2, "kernel_size": 3, "padding": 1}, ["x"]),
        ("b2", "Conv2d", {"out_channels": 2, "kernel_size": 3, "padding": 1}, ["b"]),
        ("cat", "Concat", {}, ["a", "b2"]),
        ("add", "Add", {}, ["cat", "cat"]),
        ("out", "Output", {}, ["add"]),
    )


GRAPHS = {
    "lenet5": lenet5,
    "dilated_strided": _dilated_strided,
    "residual": residual_block,
    "inception": inception_block,
    "branches": _branches,
}


def _seen_by_gradient(
    extractor: torch.nn.Module, x: torch.Tensor, node: str, i: int, j: int
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The bounding box of the input pixels output (i, j) depends on; None for none."""
    x = x.detach().clone().requires_grad_(True)
    out = extractor(x)[node]
    out[:, :, i, j].sum().backward()
    assert x.grad is not None
    touched = (x.grad != 0).any(dim=0).any(dim=0)
    rows = torch.nonzero(touched.any(dim=1)).flatten()
    cols = torch.nonzero(touched.any(dim=0)).flatten()
    if rows.numel() == 0:
        return None
    return (int(rows.min()), int(rows.max()) + 1), (int(cols.min()), int(cols.max()) + 1)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_receptive_field_matches_the_gradient(name: str) -> None:
    graph = GRAPHS[name]()
    result = analyze(graph)
    assert result.valid, result.errors
    model = compile_graph(graph, seed=3).double().eval()
    extractor = feature_extractor(model)
    shape = result.input_shape
    assert shape is not None
    x = torch.randn(BATCH, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    exact, padded = 0, False
    for node_id in result.model_order():
        info = result.nodes[node_id]
        padded = padded or info.type == "ZeroPad2d"  # (a chain: all later nodes follow it)
        if info.field is None or info.output_shape is None or len(info.output_shape) != 3:
            continue
        _, oh, ow = info.output_shape
        for i, j in {(oh // 2, ow // 2), (0, 0), (oh - 1, ow - 1)}:
            field = (info.field.height.seen(i, shape[1]), info.field.width.seen(j, shape[2]))
            inside = all(
                a.start + k * a.jump >= 0 and a.start + k * a.jump + a.size <= n
                for a, k, n in ((info.field.height, i, shape[1]), (info.field.width, j, shape[2]))
            )
            seen = _seen_by_gradient(extractor, x, node_id, i, j)
            if seen is None:  # a position made of ZeroPad2d's zeros, which read nothing
                assert padded, (node_id, i, j)
            elif inside:  # exactly the field
                assert seen == field, (node_id, i, j)
                exact += 1
            else:  # cut by the border, where a dilated kernel's last taps may fall outside
                for (lo, hi), (f_lo, f_hi) in zip(seen, field, strict=True):
                    assert f_lo <= lo < hi <= f_hi, (node_id, i, j)
    assert exact >= 2


@pytest.mark.parametrize("example", ["lenet5", "vgg_small", "resnet_small", "inception_small"])
def test_derived_sizes_are_torch_shapes_on_the_meta_device(example: str) -> None:
    """Every size a derivation states is the size torch gives that node's output."""
    graph = load_project(examples_dir() / f"{example}.cnnstudio").graph
    result = analyze(graph)
    extractor = feature_extractor(compile_graph(graph).to("meta"))
    shape = result.input_shape
    assert shape is not None
    outputs = extractor(torch.empty(2, *shape, device="meta"))
    axes = {"C_out": 0, "H_out": 1, "W_out": 2}
    checked = 0
    for node_id in result.model_order():
        real = tuple(outputs[node_id].shape[1:])
        for line in result.nodes[node_id].derivation:
            if line.name == "shape":
                assert line.value == real, (node_id, line.text())
            elif line.name in axes and len(real) == 3:
                assert line.value == real[axes[line.name]], (node_id, line.text())
            elif line.name == "features":
                assert (line.value,) == real, (node_id, line.text())
            else:
                continue
            checked += 1
    assert checked >= len(result.model_order())
