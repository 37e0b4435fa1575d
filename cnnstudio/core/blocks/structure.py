"""Graph structure blocks: Input/Output, merges, reshaping and fully connected layers."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.blocks.rules import check_dim, kwargs, product
from cnnstudio.core.blocks.spec import (
    BlockSpec,
    Function,
    Inference,
    Line,
    Saved,
    Shape,
    Window,
    fmt_shape,
    numel,
)
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.params import Param


def _input(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    return Inference(tuple(p["shape"]), {})


def _output(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    return Inference(shapes[0], {})


def _add(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    if len(shapes) < 2:
        raise ShapeError(f"needs at least 2 inputs, has {len(shapes)}")
    for other in shapes[1:]:
        if other != shapes[0]:
            raise ShapeError(f"inputs differ: {fmt_shape(shapes[0])} vs {fmt_shape(other)}")
    return Inference(shapes[0], {}, macs=numel(shapes[0]) * (len(shapes) - 1))


def _concat(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    if len(shapes) < 2:
        raise ShapeError(f"needs at least 2 inputs, has {len(shapes)}")
    first = shapes[0]
    dim = check_dim(p["dim"], first)
    axis = dim - 1
    for other in shapes[1:]:
        if len(other) != len(first) or any(
            a != b for i, (a, b) in enumerate(zip(first, other, strict=True)) if i != axis
        ):
            raise ShapeError(
                f"inputs must match except in dim {dim}: {fmt_shape(first)} vs {fmt_shape(other)}"
            )
    out = list(first)
    out[axis] = sum(s[axis] for s in shapes)
    return Inference(tuple(out), {"dim": dim})


def _flatten(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    shape = shapes[0]
    start = check_dim(p["start_dim"], shape, "start_dim")
    end = check_dim(p["end_dim"], shape, "end_dim")
    if start > end:
        raise ShapeError(f"start_dim={p['start_dim']} comes after end_dim={p['end_dim']}")
    a, b = start - 1, end
    out = (*shape[:a], numel(shape[a:b]), *shape[b:])
    return Inference(out, kwargs(p, "start_dim", "end_dim"))


def _linear(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    shape = shapes[0]
    fan_in, out = shape[-1], p["out_features"]
    if len(shape) > 1:
        # Legal in torch, but almost always a forgotten Flatten.
        raise ShapeError(
            f"expects a flat [features] input, got {fmt_shape(shape)}; add a Flatten before it"
        )
    return Inference(
        (out,),
        kwargs(p, "out_features", "bias", in_features=fan_in),
        params=fan_in * out + (out if p["bias"] else 0),
        macs=fan_in * out,
    )


_AXES = ("C", "H", "W")  # the names of an image's dims 1-3 (0 is the batch)


def _axis(dim: int, shape: Shape) -> str:
    return f"{_AXES[dim - 1]}_out" if len(shape) == 3 else f"dim{dim}"


def _add_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    return [
        Line("shape", "", result.shape, f"the {len(shapes)} inputs' common shape"),
        Line(
            "MACs",
            product(len(shapes) - 1, numel(result.shape)),
            result.macs,
            "one add per element",
        ),
    ]


def _concat_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    dim = check_dim(p["dim"], shapes[0])
    sizes = " + ".join(str(s[dim - 1]) for s in shapes)
    return [
        Line(_axis(dim, shapes[0]), sizes, result.shape[dim - 1], "the inputs side by side"),
        Line("shape", "", result.shape),
    ]


def _flattened(shape: Shape, p: dict[str, Any]) -> range:
    """The input's dims (1-based, batch excluded) that Flatten joins into one."""
    return range(check_dim(p["start_dim"], shape, "start_dim"), check_dim(p["end_dim"], shape) + 1)


def _flatten_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    shape = shapes[0]
    joined = [shape[d - 1] for d in _flattened(shape, p)]
    return [
        Line("features", product(*joined), numel(tuple(joined)), "one value per input element"),
        Line("shape", "", result.shape),
    ]


def _flatten_window(shapes: list[Shape], p: dict[str, Any]) -> tuple[Window, Window] | None:
    """Joining the height and width makes every feature part of one window over the whole map."""
    shape = shapes[0]
    if len(shape) != 3:
        return None
    dims = _flattened(shape, p)
    h, w = (Window(n, n) if d in dims else Window(1, 1) for d, n in ((2, shape[1]), (3, shape[2])))
    return h, w


def _linear_derive(shapes: list[Shape], p: dict[str, Any], result: Inference) -> list[Line]:
    fan_in, out = shapes[0][-1], p["out_features"]
    bias = f" + {out}" if p["bias"] else ""
    return [
        Line("features", "", out, "out_features"),
        Line("params", f"{fan_in} · {out}{bias}", result.params, "a weight per input and output"),
        Line("MACs", product(fan_in, out), result.macs),
    ]


SPECS = [
    BlockSpec(
        "Input",
        "Input/Output",
        "The network's input: one sample's shape, [C, H, W] for images or [F] for vectors.",
        _input,
        (Param("shape", "shape", [1, 28, 28], "Sample shape without the batch dimension."),),
        inputs=0,
        summary=lambda p: "x".join(str(s) for s in p["shape"]),
        saved_for_backward=Saved.NOTHING,
    ),
    BlockSpec(
        "Output",
        "Input/Output",
        "The network's output (class scores / logits).",
        _output,
        outputs=0,
        saved_for_backward=Saved.NOTHING,
    ),
    BlockSpec(
        "Add",
        "Merge",
        "Element-wise sum of two or more inputs of equal shape (residual connections).",
        _add,
        inputs=2,
        variadic=True,
        function=Function("operator.add", chain=True),
        saved_for_backward=Saved.NOTHING,
        derive=_add_derive,
    ),
    BlockSpec(
        "Concat",
        "Merge",
        "Joins two or more inputs along a dimension (1 = channels), as in Inception blocks.",
        _concat,
        (Param("dim", "int", 1, "Dimension to join along (0 is the batch; 1 = channels).", -8, 8),),
        inputs=2,
        variadic=True,
        function=Function("torch.cat"),
        summary=lambda p: f"dim {p['dim']}",
        saved_for_backward=Saved.NOTHING,
        derive=_concat_derive,
    ),
    BlockSpec(
        "Flatten",
        "Shape",
        "Flattens dimensions into one vector per sample (before Linear layers).",
        _flatten,
        (
            Param("start_dim", "int", 1, "First dimension to flatten (0 is the batch).", -8, 8),
            Param("end_dim", "int", -1, "Last dimension to flatten.", -8, 8),
        ),
        torch_class="torch.nn.Flatten",
        saved_for_backward=Saved.NOTHING,
        aliases_input=True,
        derive=_flatten_derive,
        window=_flatten_window,
    ),
    BlockSpec(
        "Identity",
        "Shape",
        "Passes its input through unchanged (a placeholder or a named tap).",
        lambda shapes, p: Inference(shapes[0], {}),
        torch_class="torch.nn.Identity",
        saved_for_backward=Saved.NOTHING,
        aliases_input=True,
    ),
    BlockSpec(
        "Linear",
        "Linear",
        "Fully connected layer: every output is a weighted sum of every input.",
        _linear,
        (
            Param("out_features", "int", 10, "Number of outputs.", 1, 1_000_000),
            Param("bias", "bool", True, "Learn an additive bias per output."),
        ),
        torch_class="torch.nn.Linear",
        summary=lambda p: f"→ {p['out_features']}",
        derive=_linear_derive,
    ),
]
