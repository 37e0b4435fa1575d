"""Random parameters and shapes for every block: the analyzer refuses exactly what torch refuses.

Parameter values come from ``strategies.block_params`` (drawn from each block's own ``Param``
definitions, kept small), so a new block or parameter is swept without touching this file.
Inputs have the ranks each block is meant for; refusals of other ranks, and of a dim naming the
batch, are deliberate and covered by ``test_block_shapes.STRICTER``.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from block_oracle import (
    BATCH,
    EVEN_SAME_PADDING_HINT,
    batch_of,
    infer,
    run_block,
    torch_accepts,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import block_params

from cnnstudio.core.blocks import Shape, all_specs, get_spec
from cnnstudio.core.errors import ShapeError

IMAGE_ONLY = {
    "Conv2d",
    "ConvTranspose2d",
    "Upsample",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "BatchNorm2d",
    "Dropout2d",
}
RANKS: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(IMAGE_ONLY, (3,)),
    "Linear": (1,),
    "GroupNorm": (2, 3),
    "ZeroPad2d": (2, 3),
}
SWEPT = [s.type for s in all_specs() if s.type != "Input"]
DIM_PARAMS = ("dim", "start_dim", "end_dim")


def _touches_batch(params: dict[str, Any], shapes: list[Shape]) -> bool:
    """A dim parameter naming the batch: refused on purpose (torch would mix samples)."""
    rank = len(shapes[0]) + 1
    dims = [params[n] for n in DIM_PARAMS if n in params]
    return any(-rank <= d < rank and d % rank == 0 for d in dims)


def _shape(draw: st.DrawFn, rank: int) -> Shape:
    channels = draw(st.integers(1, 6))
    return (channels, *draw(st.lists(st.integers(1, 9), min_size=rank - 1, max_size=rank - 1)))


def _varied(draw: st.DrawFn, shape: Shape) -> Shape:
    """``shape``, or ``shape`` with one dimension resized."""
    if not draw(st.booleans()):
        return shape
    i = draw(st.integers(0, len(shape) - 1))
    return (*shape[:i], draw(st.integers(1, 6)), *shape[i + 1 :])


@st.composite
def cases(draw: st.DrawFn, block: str) -> tuple[dict[str, Any], list[Shape]]:
    spec = get_spec(block)
    params = draw(block_params(block))
    first = _shape(draw, draw(st.sampled_from(RANKS.get(block, (1, 2, 3)))))
    if not spec.variadic:
        return params, [first]
    if block == "Add":  # sizes of 1 would broadcast, which Add refuses on purpose
        first = tuple(d + 1 for d in first)
    n = draw(st.integers(spec.inputs, spec.inputs + 1))
    others = [_varied(draw, first) for _ in range(n - 1)]
    if block == "Add":
        others = [tuple(max(d, 2) for d in s) for s in others]
    return params, [first, *others]


@EVEN_SAME_PADDING_HINT
@pytest.mark.parametrize("block", SWEPT)
def test_analyzer_agrees_with_torch(block: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(block))
    def check(case: tuple[dict[str, Any], list[Shape]]) -> None:
        params, shapes = case
        assume(not _touches_batch(params, shapes))
        try:
            result = infer(block, params, shapes)
        except ShapeError as exc:
            refusal = str(exc)
        else:
            torch.manual_seed(0)
            out, n_params = run_block(block, result.kwargs, [batch_of(s) for s in shapes])
            assert tuple(out.shape) == (BATCH, *result.shape)
            assert n_params == result.params
            return
        assert not torch_accepts(block, params, shapes), f"refused but torch runs it: {refusal}"

    check()
