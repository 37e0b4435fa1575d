"""Every block's shape rule, parameter count and MACs against the real torch module.

Valid cases run on the ``meta`` device (shapes only, no memory); refusals run on the CPU,
because some checks (ConvTranspose2d's output_padding) exist only in the CPU kernels.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from block_oracle import (
    BATCH,
    batch_of,
    infer,
    run_block,
    torch_accepts,
    torch_kwargs,
)
from torch.utils.flop_counter import FlopCounterMode

from cnnstudio.core.blocks import Shape, all_specs, get_spec
from cnnstudio.core.errors import ShapeError
from cnnstudio.torch_backend.compiler import build_module

Case = tuple[str, dict[str, Any], list[Shape]]

IMG: Shape = (3, 8, 8)
VEC: Shape = (10,)

VALID: list[Case] = [
    ("Input", {"shape": [3, 8, 8]}, []),
    ("Input", {"shape": [7]}, []),
    ("Output", {}, [VEC]),
    ("Output", {}, [IMG]),
    # Convolution
    ("Conv2d", {"out_channels": 8, "kernel_size": 3}, [(3, 16, 16)]),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}, [(3, 15, 15)]),
    (
        "Conv2d",
        {"out_channels": 6, "kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 2]},
        [(4, 11, 9)],
    ),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": "same"}, [(3, 10, 10)]),
    (
        "Conv2d",
        {"out_channels": 8, "kernel_size": 4, "padding": "same", "dilation": 2},
        [(3, 9, 9)],
    ),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": "valid"}, [(3, 7, 7)]),
    (
        "Conv2d",
        {"out_channels": 8, "kernel_size": 3, "dilation": [2, 3], "padding": 2},
        [(2, 12, 12)],
    ),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "groups": 4}, [(4, 8, 8)]),
    ("Conv2d", {"out_channels": 16, "kernel_size": 3, "groups": 8, "padding": 1}, [(8, 6, 6)]),
    ("Conv2d", {"out_channels": 4, "kernel_size": 1, "bias": False}, [(3, 5, 5)]),
    ("Conv2d", {"out_channels": 4, "kernel_size": 5}, [(1, 5, 5)]),
    (
        "Conv2d",
        {"out_channels": 4, "kernel_size": 3, "padding": 2, "padding_mode": "reflect"},
        [(2, 6, 6)],
    ),
    (
        "Conv2d",
        {"out_channels": 4, "kernel_size": 3, "padding": 1, "padding_mode": "circular"},
        [(2, 6, 5)],
    ),
    (
        "Conv2d",
        {"out_channels": 4, "kernel_size": 5, "padding": "same", "padding_mode": "replicate"},
        [(2, 6, 6)],
    ),
    ("ConvTranspose2d", {"out_channels": 4}, [(4, 5, 5)]),
    (
        "ConvTranspose2d",
        {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
        [(4, 5, 5)],
    ),
    (
        "ConvTranspose2d",
        {"out_channels": 4, "kernel_size": 3, "stride": 1, "dilation": 2, "output_padding": 1},
        [(4, 5, 5)],
    ),
    (
        "ConvTranspose2d",
        {"out_channels": 6, "kernel_size": [3, 2], "stride": [2, 3], "groups": 2, "bias": False},
        [(4, 3, 4)],
    ),
    ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 3, "stride": 3, "padding": 1}, [IMG]),
    ("ZeroPad2d", {"padding": 1}, [(3, 4, 4)]),
    ("ZeroPad2d", {"padding": [1, 2, 3, 0]}, [(3, 4, 5)]),
    ("ZeroPad2d", {"padding": [0, 1, 2, 3]}, [(4, 5)]),
    ("Upsample", {}, [(3, 4, 5)]),
    ("Upsample", {"scale_factor": None, "size": [7, 9], "mode": "bilinear"}, [(3, 4, 5)]),
    ("Upsample", {"scale_factor": None, "size": 6, "mode": "nearest-exact"}, [(3, 4, 5)]),
    (
        "Upsample",
        {"scale_factor": 1.5, "mode": "bicubic", "align_corners": True},
        [(2, 5, 5)],
    ),
    ("Upsample", {"scale_factor": 0.5}, [(3, 7, 7)]),
    # Pooling
    ("MaxPool2d", {"kernel_size": 2}, [IMG]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [(3, 9, 9)]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, [IMG]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(3, 6, 6)]),
    (
        "MaxPool2d",
        {"kernel_size": [2, 3], "stride": [1, 2], "dilation": 2},
        [(2, 9, 9)],
    ),
    ("MaxPool2d", {"kernel_size": 3, "stride": 3, "ceil_mode": True}, [(2, 1, 2)]),
    ("AvgPool2d", {"kernel_size": 2}, [IMG]),
    ("AvgPool2d", {"kernel_size": 2, "ceil_mode": True}, [(1, 1, 1)]),
    (
        "AvgPool2d",
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
        [(3, 7, 7)],
    ),
    ("AvgPool2d", {"kernel_size": [3, 1], "stride": [1, 2]}, [(3, 5, 6)]),
    ("AdaptiveAvgPool2d", {}, [(3, 7, 7)]),
    ("AdaptiveAvgPool2d", {"output_size": [2, 3]}, [(3, 5, 9)]),
    ("AdaptiveMaxPool2d", {"output_size": 3}, [(3, 2, 2)]),
    ("AdaptiveMaxPool2d", {"output_size": [4, 1]}, [IMG]),
    # Activation
    *((name, {}, [IMG]) for name in ("ReLU", "ReLU6", "SiLU", "Mish", "Hardswish")),
    *((name, {}, [VEC]) for name in ("Sigmoid", "Tanh", "GELU", "ELU", "LeakyReLU")),
    ("LeakyReLU", {"negative_slope": 0.2}, [IMG]),
    ("PReLU", {}, [IMG]),
    ("PReLU", {"num_parameters": 3, "init": 0.1}, [IMG]),
    ("PReLU", {"num_parameters": 10}, [VEC]),
    ("ELU", {"alpha": 0.5}, [IMG]),
    ("GELU", {"approximate": "tanh"}, [IMG]),
    ("Softmax", {}, [VEC]),
    ("Softmax", {"dim": -1}, [IMG]),
    ("Softmax", {"dim": 2}, [IMG]),
    ("LogSoftmax", {}, [VEC]),
    ("LogSoftmax", {"dim": 3}, [IMG]),
    # Normalisation and regularisation
    ("BatchNorm2d", {}, [IMG]),
    ("BatchNorm2d", {"affine": False, "track_running_stats": False}, [IMG]),
    ("BatchNorm1d", {}, [VEC]),
    ("BatchNorm1d", {"momentum": 0.2, "eps": 1e-3}, [(4, 6)]),
    ("GroupNorm", {"num_groups": 2}, [(4, 3, 3)]),
    ("GroupNorm", {"num_groups": 3, "affine": False}, [(6, 5)]),
    ("LayerNorm", {}, [IMG]),
    ("LayerNorm", {}, [VEC]),
    ("LayerNorm", {"bias": False}, [(4, 5)]),
    ("LayerNorm", {"elementwise_affine": False}, [IMG]),
    ("Dropout", {"p": 0.3}, [IMG]),
    ("Dropout", {}, [VEC]),
    ("Dropout2d", {"p": 0.1}, [IMG]),
    # Merge, shape, linear
    ("Add", {}, [IMG, IMG]),
    ("Add", {}, [VEC, VEC, VEC]),
    ("Concat", {}, [(2, 4, 4), (3, 4, 4), (1, 4, 4)]),
    ("Concat", {"dim": 2}, [(3, 2, 4), (3, 5, 4)]),
    ("Concat", {"dim": -1}, [(3, 4, 2), (3, 4, 3)]),
    ("Concat", {}, [(5,), (7,)]),
    ("Flatten", {}, [IMG]),
    ("Flatten", {"start_dim": 2}, [(3, 4, 5)]),
    ("Flatten", {"start_dim": 1, "end_dim": 2}, [(3, 4, 5)]),
    ("Flatten", {"start_dim": -2, "end_dim": -1}, [(3, 4, 5)]),
    ("Flatten", {}, [VEC]),
    ("Identity", {}, [IMG]),
    ("Linear", {"out_features": 5}, [VEC]),
    ("Linear", {"out_features": 3, "bias": False}, [(7,)]),
]

# The analyzer refuses these, and so does torch (at construction or in the forward pass).
REFUSED: list[Case] = [
    ("Conv2d", {"kernel_size": 5}, [(2, 3, 3)]),
    ("Conv2d", {"kernel_size": 3, "dilation": 3}, [(2, 6, 6)]),
    ("Conv2d", {"kernel_size": 3, "stride": 2, "padding": "same"}, [IMG]),
    ("Conv2d", {"out_channels": 6, "groups": 4}, [(4, 8, 8)]),
    ("Conv2d", {"out_channels": 8, "groups": 3}, [(4, 8, 8)]),
    ("Conv2d", {"kernel_size": 3, "padding": 3, "padding_mode": "reflect"}, [(2, 3, 3)]),
    ("Conv2d", {"kernel_size": 3, "padding": 4, "padding_mode": "circular"}, [(2, 3, 3)]),
    (
        "Conv2d",
        {"kernel_size": 7, "padding": "same", "padding_mode": "reflect"},
        [(2, 3, 3)],
    ),
    ("Conv2d", {}, [VEC]),
    ("ConvTranspose2d", {"kernel_size": 3, "stride": 1, "output_padding": 1}, [IMG]),
    ("ConvTranspose2d", {"kernel_size": 1, "stride": 1, "padding": 2}, [(2, 3, 3)]),
    ("MaxPool2d", {"kernel_size": 5}, [(2, 3, 3)]),
    ("MaxPool2d", {"kernel_size": 2, "padding": 2}, [IMG]),
    ("AvgPool2d", {"kernel_size": [2, 9]}, [IMG]),
    ("AdaptiveMaxPool2d", {}, [VEC]),
    ("Upsample", {"size": 4}, [IMG]),
    ("Upsample", {"align_corners": True}, [IMG]),
    ("Upsample", {"scale_factor": 0.1}, [(2, 3, 3)]),
    ("PReLU", {"num_parameters": 4}, [IMG]),
    ("Softmax", {"dim": 4}, [IMG]),
    ("GroupNorm", {"num_groups": 4}, [(6, 3, 3)]),
    ("BatchNorm2d", {"eps": 0.0}, [IMG]),
    ("BatchNorm1d", {"eps": 0.0}, [VEC]),
    ("Concat", {}, [(2, 4, 4), (3, 5, 4)]),
    ("Concat", {"dim": 2}, [(3, 4), (3, 4, 1)]),
    ("Add", {}, [IMG, (3, 8, 7)]),
    ("Flatten", {"start_dim": 2, "end_dim": 1}, [IMG]),
]

# Legal in torch, refused on purpose because it is almost always a mistake in a CNN.
STRICTER: list[Case] = [
    ("Linear", {}, [(3, 4)]),  # a forgotten Flatten
    ("Add", {}, [IMG, (3, 8, 1)]),  # silent broadcasting
    ("AdaptiveAvgPool2d", {}, [VEC]),  # torch would pool over the batch
    ("ZeroPad2d", {}, [VEC]),  # torch would pad the batch dimension
    ("Softmax", {"dim": 0}, [VEC]),  # torch would mix the samples of a batch
    ("Flatten", {"start_dim": 0}, [IMG]),  # the same
]


def _case_id(case: Case) -> str:
    block, params, shapes = case
    text = ",".join(f"{k}={v}" for k, v in params.items())
    return f"{block}({text})@" + "+".join("x".join(map(str, s)) for s in shapes)


def _inputs(case: Case, device: str) -> list[torch.Tensor]:
    block, params, shapes = case
    if block == "Input":
        shapes = [tuple(params["shape"])]
    return [batch_of(s, device) for s in shapes]


def test_every_block_has_cases() -> None:
    types = {s.type for s in all_specs()}
    assert types == {c[0] for c in VALID}
    assert {c[0] for c in REFUSED + STRICTER} <= types


@pytest.mark.parametrize("case", VALID, ids=_case_id)
def test_shape_and_params_match_torch(case: Case) -> None:
    block, params, shapes = case
    result = infer(block, params, shapes)
    out, n_params = run_block(block, result.kwargs, _inputs(case, "meta"), device="meta")
    assert tuple(out.shape) == (BATCH, *result.shape)
    assert n_params == result.params


@pytest.mark.parametrize(
    "case", [c for c in VALID if get_spec(c[0]).torch_class is not None], ids=_case_id
)
def test_analyzer_passes_every_argument(case: Case) -> None:
    """The analyzer's kwargs build the same module as kwargs taken straight from the params."""
    block, params, shapes = case
    torch_class = get_spec(block).torch_class
    assert torch_class is not None
    with torch.device("meta"):
        ours = build_module(torch_class, infer(block, params, shapes).kwargs)
        direct = build_module(torch_class, torch_kwargs(block, params, shapes))
    assert repr(ours) == repr(direct)
    assert vars(ours).keys() == vars(direct).keys()
    for key, value in vars(direct).items():
        if not key.startswith("_"):
            assert getattr(ours, key) == value, key


@pytest.mark.parametrize(
    "case",
    [c for c in VALID if c[0] in ("Conv2d", "ConvTranspose2d", "Linear")],
    ids=_case_id,
)
def test_macs_match_flop_counter(case: Case) -> None:
    """torch's own FLOP counter (2 FLOPs per multiply-accumulate) is the independent reference."""
    block, params, shapes = case
    result = infer(block, params, shapes)
    with FlopCounterMode(display=False) as counter:
        run_block(block, result.kwargs, _inputs(case, "meta"), device="meta")
    assert counter.get_total_flops() == 2 * BATCH * result.macs


@pytest.mark.parametrize("case", REFUSED, ids=_case_id)
def test_refused_where_torch_raises(case: Case) -> None:
    block, params, shapes = case
    with pytest.raises(ShapeError):
        infer(block, params, shapes)
    assert not torch_accepts(block, params, shapes)


@pytest.mark.parametrize("case", STRICTER, ids=_case_id)
def test_stricter_than_torch_on_purpose(case: Case) -> None:
    block, params, shapes = case
    with pytest.raises(ShapeError):
        infer(block, params, shapes)
    assert torch_accepts(block, params, shapes)
