"""Shared pieces of shape rules: rank checks, window arithmetic and kwargs clean-up."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.blocks.spec import Line, Shape, Window, fmt_shape
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.params import as_pair


def single(shapes: list[Shape]) -> Shape:
    return shapes[0]


def image(shape: Shape) -> tuple[int, int, int]:
    """The [C, H, W] of an image-shaped input, or a ShapeError quoting what came instead."""
    if len(shape) != 3:
        raise ShapeError(f"expects a [C, H, W] input, got {fmt_shape(shape)}")
    return shape[0], shape[1], shape[2]


def kwargs(params: dict[str, Any], *names: str, **extra: Any) -> dict[str, Any]:
    """Constructor kwargs from ``params`` with lists turned into tuples (as torch prints them)."""
    out = {n: tuple(params[n]) if isinstance(params[n], list) else params[n] for n in names}
    out.update(extra)
    return out


def hw(value: int | list[int]) -> str:
    h, w = as_pair(value)
    return f"{h}x{w}"


def window_out(
    size: int, kernel: int, stride: int, pad: int, dilation: int = 1, ceil: bool = False
) -> int:
    """Output length of a sliding window (convolution or pooling), as torch computes it.

    Below 1 when no window fits.
    """
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if ceil:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad:
            out -= 1
        return out
    return span // stride + 1


def check_window(
    h: int,
    w: int,
    kernel: tuple[int, int],
    pad: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> None:
    eff = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if h + 2 * pad[0] < eff[0] or w + 2 * pad[1] < eff[1]:
        pad_text = str(pad[0]) if pad[0] == pad[1] else f"{pad[0]}x{pad[1]}"
        dilated = f" (dilated to {eff[0]}x{eff[1]})" if eff != kernel else ""
        raise ShapeError(
            f"kernel {kernel[0]}x{kernel[1]}{dilated} is larger than its {h}x{w} input "
            f"(after padding {pad_text})"
        )


def check_dim(dim: int, shape: Shape, name: str = "dim") -> int:
    """``dim`` counts the batch as dimension 0; returns it normalised, refusing the batch itself."""
    rank = len(shape) + 1
    if not -rank <= dim < rank:
        raise ShapeError(
            f"{name}={dim} is out of range for a {fmt_shape(shape)} input "
            f"(dims 1..{rank - 1}; 0 is the batch)"
        )
    dim %= rank
    if dim == 0:
        raise ShapeError(f"{name}=0 is the batch dimension; use 1..{rank - 1}")
    return dim


def window_line(
    axis: str,
    size: int,
    kernel: int,
    stride: int,
    pad: int,
    dilation: int = 1,
    ceil: bool = False,
) -> Line:
    """``window_out`` written out with its numbers, as PyTorch's documentation states it."""
    left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    formula = f"{left}({size} + 2·{pad} − {dilation}·({kernel} − 1) − 1) / {stride}{right} + 1"
    out = window_out(size, kernel, stride, pad, dilation, ceil)
    note = ""
    if ceil and out < -(-(size + 2 * pad - dilation * (kernel - 1) - 1) // stride) + 1:
        formula += " − 1"
        note = "ceil mode drops a last window that would start in the padding"
    return Line(f"{axis}_out", formula, out, note)


def sliding(
    kernel: tuple[int, int],
    stride: tuple[int, int],
    pad: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> tuple[Window, Window]:
    """The receptive-field windows of a convolution or pooling over (height, width)."""
    h, w = (
        Window(d * (k - 1) + 1, s, p)
        for k, s, p, d in zip(kernel, stride, pad, dilation, strict=True)
    )
    return h, w


def product(*factors: int) -> str:
    """``6 · 5 · 5``: a product written out, for the parameter and MAC lines."""
    return " · ".join(str(f) for f in factors)
