"""Pooling blocks."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from cnnstudio.core.blocks.rules import (
    check_window,
    hw,
    image,
    kwargs,
    sliding,
    window_line,
    window_out,
)
from cnnstudio.core.blocks.spec import BlockSpec, Inference, Line, Saved, Shape, Window
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.params import Param, as_pair

CAT = "Pooling"


def _pool(shapes: list[Shape], p: dict[str, Any], dilated: bool) -> tuple[int, int, int]:
    c, h, w = image(shapes[0])
    k = as_pair(p["kernel_size"])
    s = as_pair(p["stride"] if p["stride"] is not None else p["kernel_size"])
    pad = as_pair(p["padding"])
    d = as_pair(p["dilation"]) if dilated else (1, 1)
    if pad[0] > k[0] // 2 or pad[1] > k[1] // 2:
        raise ShapeError(
            f"padding {hw(p['padding'])} must be at most half the kernel {hw(p['kernel_size'])}"
        )
    ceil = p["ceil_mode"]
    oh = window_out(h, k[0], s[0], pad[0], d[0], ceil)
    ow = window_out(w, k[1], s[1], pad[1], d[1], ceil)
    if oh < 1 or ow < 1:
        # Only a kernel larger than the padded input leaves no window; in ceil mode a kernel
        # may still be larger when the one window it leaves starts inside the input.
        check_window(h, w, k, pad, d)
    return c, oh, ow


def _max_pool(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    return Inference(_pool(shapes, p, True), kwargs(p, *names))


def _avg_pool(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    names = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
    return Inference(_pool(shapes, p, False), kwargs(p, *names))


def _adaptive(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    c, _, _ = image(shapes[0])
    oh, ow = as_pair(p["output_size"])
    return Inference((c, oh, ow), kwargs(p, "output_size"))


def _pool_geometry(
    p: dict[str, Any],
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Kernel, stride (the kernel when unset), padding and dilation (1 for average pooling)."""
    k = as_pair(p["kernel_size"])
    s = as_pair(p["stride"] if p["stride"] is not None else p["kernel_size"])
    d = as_pair(p["dilation"]) if "dilation" in p else (1, 1)
    return k, s, as_pair(p["padding"]), d


def _pool_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    c, h, w = image(shapes[0])
    k, s, pad, d = _pool_geometry(p)
    ceil = p["ceil_mode"]
    return [
        window_line("H", h, k[0], s[0], pad[0], d[0], ceil),
        window_line("W", w, k[1], s[1], pad[1], d[1], ceil),
        Line("C_out", "", c, "pooling keeps the channels"),
    ]


def _pool_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window]:
    return sliding(*_pool_geometry(p))


def _adaptive_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    c, oh, ow = result.shape
    return [
        Line("H_out", "", oh, "output_size"),
        Line("W_out", "", ow, "output_size"),
        Line("C_out", "", c, "pooling keeps the channels"),
    ]


def _adaptive_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window]:
    """Output i pools input rows ⌊i·n/m⌋ to ⌈(i+1)·n/m⌉: the widest of these windows."""
    _, h, w = image(shapes[0])
    h_win, w_win = (
        Window(
            max(-(-(i + 1) * n // m) - (i * n) // m for i in range(m)),
            Fraction(n, m),
        )
        for n, m in zip((h, w), as_pair(p["output_size"]), strict=True)
    )
    return h_win, w_win


def _window_summary(p: dict[str, Any]) -> str:
    stride = p["stride"] if p["stride"] is not None else p["kernel_size"]
    sh, sw = as_pair(stride)
    return f"{hw(p['kernel_size'])}, s{sh}" + ("" if sh == sw else f"x{sw}")


_KERNEL = Param("kernel_size", "pair", 2, "Window height and width.", 1, 4096)
_STRIDE = Param(
    "stride", "pair", None, "Step between windows (empty: the kernel size).", 1, 4096, nullable=True
)
_PADDING = Param("padding", "pair", 0, "Padding on each side (at most half the kernel).", 0, 2048)
_CEIL = Param("ceil_mode", "bool", False, "Round the output size up instead of down.")
_OUTPUT_SIZE = Param(
    "output_size", "pair", 1, "Output height and width, whatever the input.", 1, 4096
)

SPECS = [
    BlockSpec(
        "MaxPool2d",
        CAT,
        "Keeps the largest value in each window: downsamples and adds shift tolerance.",
        _max_pool,
        (
            _KERNEL,
            _STRIDE,
            _PADDING,
            Param("dilation", "pair", 1, "Spacing between window taps.", 1, 4096),
            _CEIL,
        ),
        torch_class="torch.nn.MaxPool2d",
        saved_for_backward=Saved.INPUT | Saved.INDICES,
        summary=_window_summary,
        derive=_pool_derive,
        window=_pool_window,
    ),
    BlockSpec(
        "AvgPool2d",
        CAT,
        "Averages each window: smooth downsampling.",
        _avg_pool,
        (
            _KERNEL,
            _STRIDE,
            _PADDING,
            _CEIL,
            Param("count_include_pad", "bool", True, "Count padding zeros in the average."),
        ),
        torch_class="torch.nn.AvgPool2d",
        summary=_window_summary,
        derive=_pool_derive,
        window=_pool_window,
    ),
    BlockSpec(
        "AdaptiveAvgPool2d",
        CAT,
        "Averages to a fixed output size (1 = global average pooling).",
        _adaptive,
        (_OUTPUT_SIZE,),
        torch_class="torch.nn.AdaptiveAvgPool2d",
        summary=lambda p: f"→ {hw(p['output_size'])}",
        derive=_adaptive_derive,
        window=_adaptive_window,
    ),
    BlockSpec(
        "AdaptiveMaxPool2d",
        CAT,
        "Max-pools to a fixed output size (1 = global max pooling).",
        _adaptive,
        (_OUTPUT_SIZE,),
        torch_class="torch.nn.AdaptiveMaxPool2d",
        saved_for_backward=Saved.INPUT | Saved.INDICES,
        summary=lambda p: f"→ {hw(p['output_size'])}",
        derive=_adaptive_derive,
        window=_adaptive_window,
    ),
]
