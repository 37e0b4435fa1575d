"""The receptive field: which part of the network's input one output position of a node sees.

Per spatial axis it is carried as a size, a jump (input pixels between neighbouring outputs)
and where the first output's field starts, through each block's sliding window
(``BlockSpec.window``): a window of span ``k``, stride ``s`` and offset ``p`` turns
``(size, jump, start)`` into ``(size + (k − 1)·jump, jump·s, start − p·jump)``. Merges take the
union of their inputs' fields. Norm statistics, which mix a whole map, are not counted: the
field is the one the windows give, as in the receptive-field literature.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnnstudio.core.blocks import BlockSpec, Lowering, Shape, Window


@dataclass(frozen=True)
class AxisField:
    """One spatial axis: output ``i`` sees input positions ``[start + i·jump, … + size)``."""

    size: int | Fraction
    jump: int | Fraction
    start: int | Fraction

    def through(self, window: Window) -> AxisField:
        return AxisField(
            self.size + (window.span - 1) * self.jump,
            self.jump * window.stride,
            self.start - window.offset * self.jump,
        )

    def seen(self, index: int, length: int) -> tuple[int, int]:
        """The input positions ``[first, end)`` output ``index`` sees, clipped to the input."""
        first = self.start + index * self.jump
        return max(0, _floor(first)), min(length, _ceil(first + self.size))


@dataclass(frozen=True)
class ReceptiveField:
    height: AxisField
    width: AxisField
    input_size: tuple[int, int]  # the network input's (height, width)

    def text(self, spatial: bool = True) -> str:
        """``spatial``: the node's output still has positions (else only the extent is told)."""
        h, w = self.input_size
        if self.height.size >= h and self.width.size >= w and not spatial:
            return f"receptive field: the whole {h}×{w} input"
        size = f"{_num(self.height.size)}×{_num(self.width.size)}"
        whole = self.height.size >= h and self.width.size >= w
        text = f"receptive field {size} {'as large as' if whole else 'of'} the {h}×{w} input"
        if spatial:
            jump = f"{_num(self.height.jump)}×{_num(self.width.jump)}"
            text += f", jump {jump} (input pixels between neighbouring outputs)"
        return text


def input_field(shape: Shape) -> ReceptiveField | None:
    """A [C, H, W] input's own field (each pixel sees itself); None for a vector input."""
    if len(shape) != 3:
        return None
    one = AxisField(1, 1, 0)
    return ReceptiveField(one, one, (shape[1], shape[2]))


def next_field(
    spec: BlockSpec,
    shapes: list[Shape],
    params: dict[str, Any],
    fields: list[ReceptiveField | None],
    output: Shape,
) -> ReceptiveField | None:
    """The field of a node from its inputs' fields; None where the input has no image."""
    if spec.lowering is Lowering.INPUT:
        return input_field(output)
    known = [f for f in fields if f is not None]
    if not known or len(known) != len(fields):
        return None
    field = known[0] if len(known) == 1 else _union(known)
    windows = spec.window(shapes, params) if spec.window is not None else None
    if windows is None:
        return field
    return ReceptiveField(
        field.height.through(windows[0]), field.width.through(windows[1]), field.input_size
    )


def _union(fields: list[ReceptiveField]) -> ReceptiveField:
    def axis(axes: list[AxisField]) -> AxisField:
        start = min(a.start for a in axes)
        end = max(a.start + a.size for a in axes)
        return AxisField(end - start, max(a.jump for a in axes), start)

    return ReceptiveField(
        axis([f.height for f in fields]), axis([f.width for f in fields]), fields[0].input_size
    )


def _floor(x: int | Fraction) -> int:
    return x.numerator // x.denominator


def _ceil(x: int | Fraction) -> int:
    return -(-x.numerator // x.denominator)


def _num(x: int | Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.3g}"
