"""Element-wise activations (shape-preserving) and softmax-style normalisers."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.blocks.rules import check_dim, kwargs
from cnnstudio.core.blocks.spec import BlockSpec, Inference, Saved, Shape, fmt_shape
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.params import Param

CAT = "Activation"


def _elementwise(*names: str) -> Any:
    def rule(shapes: list[Shape], p: dict[str, Any]) -> Inference:
        return Inference(shapes[0], kwargs(p, *names))

    return rule


def _prelu(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    n, shape = p["num_parameters"], shapes[0]
    if n != 1 and n != shape[0]:
        raise ShapeError(
            f"num_parameters must be 1 or the {shape[0]} channels of its {fmt_shape(shape)} input, got {n}"
        )
    return Inference(shape, kwargs(p, "num_parameters", "init"), params=n)


def _softmax(shapes: list[Shape], p: dict[str, Any]) -> Inference:
    check_dim(p["dim"], shapes[0])
    return Inference(shapes[0], kwargs(p, "dim"))


def _simple(name: str, help_: str, saved: Saved = Saved.INPUT) -> BlockSpec:
    return BlockSpec(
        name, CAT, help_, _elementwise(), torch_class=f"torch.nn.{name}", saved_for_backward=saved
    )


_DIM = Param(
    "dim", "int", 1, "Dimension to normalise over (0 is the batch; 1 = channels/features).", -8, 8
)

SPECS = [
    _simple("ReLU", "max(0, x): the standard activation.", Saved.OUTPUT),
    _simple("ReLU6", "min(max(0, x), 6): ReLU capped at 6 (mobile networks)."),
    BlockSpec(
        "LeakyReLU",
        CAT,
        "ReLU with a small slope for negative inputs.",
        _elementwise("negative_slope"),
        (Param("negative_slope", "float", 0.01, "Slope for negative inputs.", -1e6, 1e6),),
        torch_class="torch.nn.LeakyReLU",
        summary=lambda p: f"slope {p['negative_slope']:g}",
    ),
    BlockSpec(
        "PReLU",
        CAT,
        "Leaky ReLU whose negative slope is learned.",
        _prelu,
        (
            Param("num_parameters", "int", 1, "Learned slopes: 1, or one per channel.", 1, 65536),
            Param("init", "float", 0.25, "Initial slope.", -1e6, 1e6),
        ),
        torch_class="torch.nn.PReLU",
    ),
    BlockSpec(
        "ELU",
        CAT,
        "Exponential linear unit: smooth for negative inputs.",
        _elementwise("alpha"),
        (Param("alpha", "float", 1.0, "Saturation value for negative inputs.", 0.0, 1e6),),
        torch_class="torch.nn.ELU",
    ),
    BlockSpec(
        "GELU",
        CAT,
        "Gaussian error linear unit (transformers, ConvNeXt).",
        _elementwise("approximate"),
        (
            Param(
                "approximate",
                "choice",
                "none",
                "Use the tanh approximation.",
                choices=("none", "tanh"),
            ),
        ),
        torch_class="torch.nn.GELU",
    ),
    _simple("SiLU", "x * sigmoid(x), a.k.a. swish (EfficientNet)."),
    _simple("Mish", "x * tanh(softplus(x)): smooth, self-regularising."),
    _simple("Hardswish", "Cheap piecewise approximation of swish (MobileNetV3)."),
    _simple("Sigmoid", "Squashes to (0, 1).", Saved.OUTPUT),
    _simple("Tanh", "Squashes to (-1, 1).", Saved.OUTPUT),
    BlockSpec(
        "Softmax",
        CAT,
        "Turns scores into probabilities (leave it out before a cross-entropy loss).",
        _softmax,
        (_DIM,),
        torch_class="torch.nn.Softmax",
        summary=lambda p: f"dim {p['dim']}",
        saved_for_backward=Saved.OUTPUT,
    ),
    BlockSpec(
        "LogSoftmax",
        CAT,
        "Log of softmax, numerically stable.",
        _softmax,
        (_DIM,),
        torch_class="torch.nn.LogSoftmax",
        summary=lambda p: f"dim {p['dim']}",
        saved_for_backward=Saved.OUTPUT,
    ),
]
