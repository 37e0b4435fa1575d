"""Convolution blocks and spatial resizing."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from cnnstudio.core.blocks.rules import (
    check_window,
    hw,
    image,
    kwargs,
    product,
    sliding,
    window_line,
    window_out,
)
from cnnstudio.core.blocks.spec import BlockSpec, Inference, Line, Saved, Shape, Window
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.params import Param, as_pair

CAT = "Convolution"


def _groups_ok(c: int, out: int, groups: int) -> None:
    if c % groups or out % groups:
        raise ShapeError(
            f"groups={groups} must divide both the {c} input channels and {out} output channels"
        )


def _padding_mode_fits(mode: str, h: int, w: int, side: tuple[int, int]) -> None:
    """Reflect padding mirrors the input, so it needs more rows than it adds; circular may wrap once."""
    for size, pad in zip((h, w), side, strict=True):
        if (mode == "reflect" and pad >= size) or (mode == "circular" and pad > size):
            limit = "smaller than" if mode == "reflect" else "at most"
            raise ShapeError(
                f"{mode} padding of {pad} must be {limit} each side of its {h}x{w} input"
            )


def _conv2d(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    c, h, w = image(shapes[0])
    out, groups = p["out_channels"], p["groups"]
    _groups_ok(c, out, groups)
    k, s, d = as_pair(p["kernel_size"]), as_pair(p["stride"]), as_pair(p["dilation"])
    if p["padding"] == "same":
        if s != (1, 1):
            raise ShapeError("padding='same' needs stride 1")
        # torch puts the odd row/column of 'same' padding on the bottom/right side.
        widest = ((d[0] * (k[0] - 1) + 1) // 2, (d[1] * (k[1] - 1) + 1) // 2)
        _padding_mode_fits(p["padding_mode"], h, w, widest)
        oh, ow = h, w
    else:
        pad = (0, 0) if p["padding"] == "valid" else as_pair(p["padding"])
        _padding_mode_fits(p["padding_mode"], h, w, pad)
        check_window(h, w, k, pad, d)
        oh = window_out(h, k[0], s[0], pad[0], d[0])
        ow = window_out(w, k[1], s[1], pad[1], d[1])
    per_out = (c // groups) * k[0] * k[1]
    names = ("out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
    return Inference(
        (out, oh, ow),
        kwargs(p, *names, "padding_mode", in_channels=c),
        params=out * per_out + (out if p["bias"] else 0),
        macs=out * oh * ow * per_out,
    )


def _conv_transpose2d(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    c, h, w = image(shapes[0])
    out, groups = p["out_channels"], p["groups"]
    _groups_ok(c, out, groups)
    k, s, pad = as_pair(p["kernel_size"]), as_pair(p["stride"]), as_pair(p["padding"])
    d, op = as_pair(p["dilation"]), as_pair(p["output_padding"])
    for i in range(2):
        if op[i] >= s[i] and op[i] >= d[i]:
            raise ShapeError(
                f"output_padding {hw(p['output_padding'])} must be smaller than the stride "
                f"{hw(p['stride'])} or the dilation {hw(p['dilation'])}"
            )
    oh = (h - 1) * s[0] - 2 * pad[0] + d[0] * (k[0] - 1) + op[0] + 1
    ow = (w - 1) * s[1] - 2 * pad[1] + d[1] * (k[1] - 1) + op[1] + 1
    if oh < 1 or ow < 1:
        raise ShapeError(f"padding {hw(p['padding'])} leaves no output for a {h}x{w} input")
    per_in = (out // groups) * k[0] * k[1]
    names = ("out_channels", "kernel_size", "stride", "padding", "output_padding", "groups")
    return Inference(
        (out, oh, ow),
        kwargs(p, *names, "bias", "dilation", in_channels=c),
        params=c * per_in + (out if p["bias"] else 0),
        macs=c * h * w * per_in,
    )


def _zero_pad(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    shape = shapes[0]
    if len(shape) < 2:
        raise ShapeError(f"expects an input with height and width, got {list(shape)}")
    left, right, top, bottom = _zero_pad_sides(p)
    *lead, h, w = shape
    return Inference((*lead, h + top + bottom, w + left + right), kwargs(p, "padding"))


def _upsample(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    c, h, w = image(shapes[0])
    size, scale = p["size"], p["scale_factor"]
    if (size is None) == (scale is None):
        raise ShapeError("set exactly one of size and scale_factor")
    if p["align_corners"] is not None and p["mode"] not in ("bilinear", "bicubic"):
        raise ShapeError(f"align_corners only applies to bilinear and bicubic, not {p['mode']}")
    if size is not None:
        oh, ow = as_pair(size)
    else:
        oh, ow = int(h * scale), int(w * scale)
        if oh < 1 or ow < 1:
            raise ShapeError(f"scale_factor {scale:g} leaves no output for a {h}x{w} input")
    return Inference(
        (c, oh, ow), kwargs(p, "size", "scale_factor", "mode", "align_corners"), macs=0
    )


def _conv2d_pad(p: dict[str, Any]) -> tuple[int, int]:
    """The leading (top, left) padding: 'same' pads the odd row/column at the bottom/right."""
    if p["padding"] == "same":
        k, d = as_pair(p["kernel_size"]), as_pair(p["dilation"])
        return d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2
    return (0, 0) if p["padding"] == "valid" else as_pair(p["padding"])


def _conv_cost(c: int, groups: int, result: Inference, p: dict[str, Any]) -> list[Line]:
    out, oh, ow = result.shape
    kh, kw = as_pair(p["kernel_size"])
    per = c // groups
    split = f"each filter sees {per} of {c} channels ({groups} groups)" if groups > 1 else ""
    bias = f" + {out}" if p["bias"] else ""
    return [
        Line("params", f"{out} · ({product(per, kh, kw)}){bias}", result.params, split),
        Line("MACs", f"{product(out, oh, ow)} · ({product(per, kh, kw)})", result.macs),
    ]


def _conv2d_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    c, h, w = image(shapes[0])
    out, oh, ow = result.shape
    if p["padding"] == "same":
        lines = [
            Line("H_out", "", oh, "padding 'same' keeps H_in at stride 1"),
            Line("W_out", "", ow, "padding 'same' keeps W_in at stride 1"),
        ]
    else:
        (kh, kw), (sh, sw) = as_pair(p["kernel_size"]), as_pair(p["stride"])
        (ph, pw), (dh, dw) = _conv2d_pad(p), as_pair(p["dilation"])
        lines = [window_line("H", h, kh, sh, ph, dh), window_line("W", w, kw, sw, pw, dw)]
    lines.append(Line("C_out", "", out, "out_channels"))
    return lines + _conv_cost(c, p["groups"], result, p)


def _conv2d_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window]:
    k, s, d = as_pair(p["kernel_size"]), as_pair(p["stride"]), as_pair(p["dilation"])
    return sliding(k, s, _conv2d_pad(p), d)


def _transpose_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    c, h, w = image(shapes[0])
    out, oh, ow = result.shape
    k, s, pad = as_pair(p["kernel_size"]), as_pair(p["stride"]), as_pair(p["padding"])
    d, op = as_pair(p["dilation"]), as_pair(p["output_padding"])
    lines = [
        Line(
            f"{axis}_out",
            f"({size} − 1)·{s[i]} − 2·{pad[i]} + {d[i]}·({k[i]} − 1) + {op[i]} + 1",
            value,
        )
        for i, (axis, size, value) in enumerate((("H", h, oh), ("W", w, ow)))
    ]
    per = out // p["groups"]
    bias = f" + {out}" if p["bias"] else ""
    return [
        *lines,
        Line("C_out", "", out, "out_channels"),
        Line("params", f"{c} · ({product(per, k[0], k[1])}){bias}", result.params),
        Line("MACs", f"{product(c, h, w)} · ({product(per, k[0], k[1])})", result.macs),
    ]


def _transpose_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window]:
    """An output sees the inputs whose scattered kernels reach it: the widest such window."""
    k, s, pad = as_pair(p["kernel_size"]), as_pair(p["stride"]), as_pair(p["padding"])
    d = as_pair(p["dilation"])
    h, w = (
        Window(
            d[i] * (k[i] - 1) // s[i] + 1,
            Fraction(1, s[i]),
            (d[i] * (k[i] - 1) - pad[i]) // s[i],
        )
        for i in range(2)
    )
    return h, w


def _zero_pad_sides(p: dict[str, Any]) -> tuple[int, int, int, int]:
    pad = p["padding"]
    left, right, top, bottom = (pad,) * 4 if isinstance(pad, int) else pad
    return left, right, top, bottom


def _zero_pad_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    *_, h, w = shapes[0]
    left, right, top, bottom = _zero_pad_sides(p)
    return [
        Line("H_out", f"{h} + {top} + {bottom}", result.shape[-2], "top + bottom"),
        Line("W_out", f"{w} + {left} + {right}", result.shape[-1], "left + right"),
    ]


def _zero_pad_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window] | None:
    if len(shapes[0]) != 3:
        return None
    left, _, top, _ = _zero_pad_sides(p)
    return Window(1, 1, top), Window(1, 1, left)


def _upsample_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    _, oh, ow = result.shape
    if p["size"] is not None:
        return [Line("H_out", "", oh, "size"), Line("W_out", "", ow, "size")]
    _, h, w = shapes[0]
    scale = f"{p['scale_factor']:g}"
    return [Line("H_out", f"⌊{h} · {scale}⌋", oh), Line("W_out", f"⌊{w} · {scale}⌋", ow)]


# Input taps an output of each interpolation reads, and how many of them precede its centre.
_INTERPOLATION_TAPS = {"bilinear": (2, 0), "bicubic": (4, 1)}


def _upsample_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window]:
    _, h, w = shapes[0]
    size = as_pair(p["size"]) if p["size"] is not None else None
    span, before = _INTERPOLATION_TAPS.get(p["mode"], (1, 0))
    h_win, w_win = (
        Window(
            span,
            Fraction(n, size[i])
            if size is not None
            else 1 / Fraction(p["scale_factor"]).limit_denominator(1000),
            before,
        )
        for i, n in enumerate((h, w))
    )
    return h_win, w_win


def _pair(name: str, default: int | list[int], help_: str, minimum: int = 1) -> Param:
    return Param(name, "pair", default, help_, minimum=minimum, maximum=4096)


def _conv_summary(p: dict[str, Any]) -> str:
    sh, sw = as_pair(p["stride"])
    stride = f"s{sh}" if sh == sw else f"s{sh}x{sw}"
    return f"{p['out_channels']} @ {hw(p['kernel_size'])}, {stride}"


_OUT_CHANNELS = Param("out_channels", "int", 16, "Number of filters (output channels).", 1, 65536)
_GROUPS = Param("groups", "int", 1, "Split channels into this many independent groups.", 1, 65536)
_BIAS = Param("bias", "bool", True, "Learn an additive bias per output channel.")

SPECS = [
    BlockSpec(
        "Conv2d",
        CAT,
        "2-D convolution: slides learned filters over the image.",
        _conv2d,
        (
            _OUT_CHANNELS,
            _pair("kernel_size", 3, "Filter height and width."),
            _pair("stride", 1, "Step between filter positions."),
            Param(
                "padding",
                "padding",
                0,
                "Zeros added on each side; 'same' keeps the size (stride 1).",
                minimum=0,
                maximum=4096,
                choices=("same", "valid"),
            ),
            _pair("dilation", 1, "Spacing between filter taps."),
            _GROUPS,
            _BIAS,
            Param(
                "padding_mode",
                "choice",
                "zeros",
                "How the border is padded.",
                choices=("zeros", "reflect", "replicate", "circular"),
            ),
        ),
        torch_class="torch.nn.Conv2d",
        saved_for_backward=Saved.INPUT | Saved.COLUMNS,
        summary=_conv_summary,
        derive=_conv2d_derive,
        window=_conv2d_window,
    ),
    BlockSpec(
        "ConvTranspose2d",
        CAT,
        "Transposed 2-D convolution: learned upsampling.",
        _conv_transpose2d,
        (
            _OUT_CHANNELS,
            _pair("kernel_size", 2, "Filter height and width."),
            _pair("stride", 2, "Upsampling factor."),
            _pair("padding", 0, "Rows/columns removed from each side of the output.", 0),
            _pair("output_padding", 0, "Extra rows/columns added on one side of the output.", 0),
            _GROUPS,
            _BIAS,
            _pair("dilation", 1, "Spacing between filter taps."),
        ),
        torch_class="torch.nn.ConvTranspose2d",
        saved_for_backward=Saved.INPUT | Saved.COLUMNS,
        summary=_conv_summary,
        derive=_transpose_derive,
        window=_transpose_window,
    ),
    BlockSpec(
        "ZeroPad2d",
        CAT,
        "Pads height and width with zeros.",
        _zero_pad,
        (
            Param(
                "padding",
                "pad4",
                1,
                "Zeros added: one size, or [left, right, top, bottom].",
                0,
                4096,
            ),
        ),
        torch_class="torch.nn.ZeroPad2d",
        saved_for_backward=Saved.NOTHING,  # the backward only crops
        summary=lambda p: f"pad {p['padding']}",
        derive=_zero_pad_derive,
        window=_zero_pad_window,
    ),
    BlockSpec(
        "Upsample",
        CAT,
        "Resizes the image by a scale factor or to a fixed size.",
        _upsample,
        (
            Param(
                "size",
                "pair",
                None,
                "Output [h, w] (leave empty to use scale_factor).",
                1,
                65536,
                nullable=True,
            ),
            Param(
                "scale_factor",
                "float",
                2.0,
                "Multiplier for height and width.",
                0.01,
                64.0,
                nullable=True,
            ),
            Param(
                "mode",
                "choice",
                "nearest",
                "Interpolation method.",
                choices=("nearest", "nearest-exact", "bilinear", "bicubic"),
            ),
            Param(
                "align_corners",
                "bool",
                None,
                "Align corner pixels (bilinear/bicubic only).",
                nullable=True,
            ),
        ),
        torch_class="torch.nn.Upsample",
        saved_for_backward=Saved.NOTHING,  # the backward needs only the sizes
        summary=lambda p: (
            f"x{p['scale_factor']:g} {p['mode']}"
            if p["size"] is None
            else f"{hw(p['size'])} {p['mode']}"
        ),
        derive=_upsample_derive,
        window=_upsample_window,
    ),
]
