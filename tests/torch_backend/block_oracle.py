"""Test helpers that run a block the way torch would, independently of the analyzer's kwargs.

``torch_kwargs`` rebuilds a block's constructor arguments from its parameters and input shapes
without the analyzer, so a case the analyzer refuses can still be handed to torch to see
whether torch refuses it too.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pytest
import torch

from cnnstudio.core.blocks import Inference, Lowering, Shape, get_spec
from cnnstudio.torch_backend.compiler import build_module, resolve

BATCH = 2
# Errors torch raises for arguments it refuses (UserWarnings are not among them on purpose:
# pytest turns them into failures, which is how a block would be caught warning).
TORCH_REFUSALS = (RuntimeError, ValueError, IndexError)

# What torch infers from the input that cnnstudio's blocks do not take as parameters.
_INFERRED: dict[str, Any] = {
    "Conv2d": lambda s: {"in_channels": s[0]},
    "ConvTranspose2d": lambda s: {"in_channels": s[0]},
    "Linear": lambda s: {"in_features": s[-1]},
    "BatchNorm1d": lambda s: {"num_features": s[0]},
    "BatchNorm2d": lambda s: {"num_features": s[0]},
    "GroupNorm": lambda s: {"num_channels": s[0]},
    "LayerNorm": lambda s: {"normalized_shape": tuple(s)},
}

# torch's one-time performance hint for padding='same' with an even kernel: not an error, but
# pytest turns it into one for whichever example happens to trigger it first.
EVEN_SAME_PADDING_HINT = pytest.mark.filterwarnings(
    "ignore:Using padding='same' with even kernel lengths:UserWarning"
)


def infer(block: str, params: dict[str, Any], shapes: Sequence[Shape]) -> Inference:
    """The analyzer's view of one node: parameters validated as ``GraphModel`` does, then the rule."""
    spec = get_spec(block)
    return spec.infer(list(shapes), spec.validate_params(params, "node"))


def torch_kwargs(block: str, params: dict[str, Any], shapes: Sequence[Shape]) -> dict[str, Any]:
    """Constructor kwargs built from the block's parameters alone (lists as tuples)."""
    resolved = get_spec(block).resolve(params)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in resolved.items()}
    if block in _INFERRED:
        kwargs.update(_INFERRED[block](shapes[0]))
    return kwargs


def run_block(
    block: str,
    kwargs: dict[str, Any],
    inputs: Sequence[torch.Tensor],
    device: str = "cpu",
) -> tuple[torch.Tensor, int]:
    """Run the real torch module (or the function the spec names) on ``inputs``.

    Returns the output and the module's parameter count.
    """
    spec = get_spec(block)
    if spec.lowering in (Lowering.INPUT, Lowering.OUTPUT):
        return inputs[0], 0
    if spec.function is not None:
        target = resolve(spec.function.path)
        if spec.function.chain:
            return functools.reduce(lambda a, b: target(a, b, **kwargs), inputs), 0
        return target(list(inputs), **kwargs), 0
    assert spec.torch_class is not None, block
    with torch.device(device):
        module = build_module(spec.torch_class, kwargs)
    return module(*inputs), sum(p.numel() for p in module.parameters())


def batch_of(shape: Shape, device: str = "cpu") -> torch.Tensor:
    """A ``[BATCH, *shape]`` tensor: empty on ``meta``, random values elsewhere."""
    if device == "meta":
        return torch.empty(BATCH, *shape, device="meta")
    return torch.randn(BATCH, *shape, device=device)


def torch_accepts(block: str, params: dict[str, Any], shapes: Sequence[Shape]) -> bool:
    """Whether torch builds and runs the block on these shapes and gives a non-empty output.

    Runs on the CPU, where every check runs. An empty output (a transposed convolution whose
    padding eats it all) counts as a refusal: the analyzer refuses it on purpose.
    """
    kwargs = torch_kwargs(block, params, shapes)
    try:
        out, _ = run_block(block, kwargs, [batch_of(s) for s in shapes])
    except TORCH_REFUSALS:
        return False
    return out.numel() > 0
