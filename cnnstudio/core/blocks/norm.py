"""Normalisation and regularisation blocks. Norm layers count one MAC per element."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.blocks.rules import image, kwargs, product
from cnnstudio.core.blocks.spec import BlockSpec, Inference, Line, Saved, Shape, fmt_shape, numel
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.params import Param

NORM = "Normalisation"
REG = "Regularisation"


def _positive_eps(p: dict[str, Any]) -> None:
    """torch refuses eps=0 in training: a channel with constant values would divide by zero."""
    if p["eps"] <= 0:
        raise ShapeError(f"eps must be above 0 for batch statistics, got {p['eps']:g}")


def _batch_norm2d(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    c, _, _ = image(shapes[0])
    _positive_eps(p)
    names = ("eps", "momentum", "affine", "track_running_stats")
    return Inference(
        shapes[0], kwargs(p, *names, num_features=c), 2 * c * p["affine"], numel(shapes[0])
    )


def _batch_norm1d(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    shape = shapes[0]
    if len(shape) not in (1, 2):
        raise ShapeError(f"expects a [F] or [C, L] input, got {fmt_shape(shape)}")
    _positive_eps(p)
    c = shape[0]
    names = ("eps", "momentum", "affine", "track_running_stats")
    return Inference(shape, kwargs(p, *names, num_features=c), 2 * c * p["affine"], numel(shape))


def _group_norm(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    shape = shapes[0]
    if len(shape) < 2:
        raise ShapeError(f"expects a [C, ...] input with spatial size, got {fmt_shape(shape)}")
    c, groups = shape[0], p["num_groups"]
    if c % groups:
        raise ShapeError(f"num_groups={groups} does not divide the {c} input channels")
    return Inference(
        shape,
        kwargs(p, "num_groups", "eps", "affine", num_channels=c),
        2 * c * p["affine"],
        numel(shape),
    )


def _layer_norm(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    shape = shapes[0]
    n = numel(shape)
    weights = n * p["elementwise_affine"] * (1 + p["bias"])
    kw = kwargs(p, "eps", "elementwise_affine", "bias", normalized_shape=tuple(shape))
    return Inference(shape, kw, weights, n)


def _dropout(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    return Inference(shapes[0], kwargs(p, "p"))


def _dropout2d(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    image(shapes[0])
    return Inference(shapes[0], kwargs(p, "p"))


def _per_channel_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    shape = shapes[0]
    lines = [Line("shape", "", result.shape, "normalising keeps the shape")]
    if result.params:
        lines.append(
            Line("params", f"2 · {shape[0]}", result.params, "a scale and a shift per channel")
        )
    return [*lines, Line("MACs", product(*shape), result.macs, "one per element")]


_EPS = Param("eps", "float", 1e-5, "Added to the variance for numerical stability.", 0.0, 1.0)
_MOMENTUM = Param(
    "momentum", "float", 0.1, "Weight of each batch in the running statistics.", 0.0, 1.0
)
_AFFINE = Param("affine", "bool", True, "Learn a scale and shift per channel.")
_TRACK = Param("track_running_stats", "bool", True, "Keep running statistics for evaluation.")
_P = Param("p", "float", 0.5, "Probability of zeroing an element during training.", 0.0, 1.0)

SPECS = [
    BlockSpec(
        "BatchNorm2d",
        NORM,
        "Normalises each channel over the batch: faster, more stable training.",
        _batch_norm2d,
        (_EPS, _MOMENTUM, _AFFINE, _TRACK),
        torch_class="torch.nn.BatchNorm2d",
        derive=_per_channel_derive,
    ),
    BlockSpec(
        "BatchNorm1d",
        NORM,
        "Normalises each feature over the batch (after Linear layers).",
        _batch_norm1d,
        (_EPS, _MOMENTUM, _AFFINE, _TRACK),
        torch_class="torch.nn.BatchNorm1d",
        derive=_per_channel_derive,
    ),
    BlockSpec(
        "GroupNorm",
        NORM,
        "Normalises groups of channels per sample: works with small batches.",
        _group_norm,
        (
            Param(
                "num_groups",
                "int",
                4,
                "Number of channel groups; must divide the channels.",
                1,
                65536,
            ),
            _EPS,
            _AFFINE,
        ),
        torch_class="torch.nn.GroupNorm",
        derive=_per_channel_derive,
        summary=lambda p: f"{p['num_groups']} groups",
    ),
    BlockSpec(
        "LayerNorm",
        NORM,
        "Normalises each sample over all of its elements.",
        _layer_norm,
        (
            _EPS,
            Param("elementwise_affine", "bool", True, "Learn a scale (and shift) per element."),
            Param("bias", "bool", True, "Learn the shift too (with elementwise_affine)."),
        ),
        torch_class="torch.nn.LayerNorm",
    ),
    BlockSpec(
        "Dropout",
        REG,
        "Randomly zeroes elements while training to reduce overfitting.",
        _dropout,
        (_P,),
        torch_class="torch.nn.Dropout",
        saved_for_backward=Saved.MASK,
        summary=lambda p: f"p={p['p']:g}",
    ),
    BlockSpec(
        "Dropout2d",
        REG,
        "Randomly zeroes whole channels while training.",
        _dropout2d,
        (_P,),
        torch_class="torch.nn.Dropout2d",
        saved_for_backward=Saved.NOTHING,  # a mask of one value per channel
        summary=lambda p: f"p={p['p']:g}",
    ),
]
