"""The block library: one ``BlockSpec`` per block type, looked up by its ``torch.nn`` name."""

from __future__ import annotations

from cnnstudio.core.blocks import activation, conv, norm, pooling, structure
from cnnstudio.core.blocks.spec import (
    BlockSpec,
    Function,
    Inference,
    Line,
    Lowering,
    Saved,
    Shape,
    Window,
    fmt_shape,
    numel,
)
from cnnstudio.core.errors import GraphError, quote

CATEGORIES = (
    "Input/Output",
    "Convolution",
    "Pooling",
    "Activation",
    "Normalisation",
    "Regularisation",
    "Linear",
    "Merge",
    "Shape",
)

_SPECS: dict[str, BlockSpec] = {
    s.type: s for module in (structure, conv, pooling, activation, norm) for s in module.SPECS
}


def get_spec(block_type: str) -> BlockSpec:
    try:
        return _SPECS[block_type]
    except (KeyError, TypeError):
        raise GraphError(f"unknown block type {quote(block_type)}") from None


def all_specs() -> list[BlockSpec]:
    """Every spec, grouped by category in palette order."""
    return sorted(_SPECS.values(), key=lambda s: CATEGORIES.index(s.category))


__all__ = [
    "CATEGORIES",
    "BlockSpec",
    "Function",
    "Inference",
    "Line",
    "Lowering",
    "Saved",
    "Shape",
    "Window",
    "all_specs",
    "fmt_shape",
    "get_spec",
    "numel",
]
