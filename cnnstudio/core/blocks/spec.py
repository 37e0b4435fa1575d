"""A block's single source of truth: parameters, ports, shape rule, cost and torch class."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnnstudio.core.errors import GraphError, ParamError, quote
from cnnstudio.core.params import Param

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Inference:
    """What a block makes of its input shapes.

    ``kwargs`` are the full constructor arguments of the torch class, inferred ones included
    (``in_channels``, ``in_features``, ``num_features``...), so the backend needs nothing else.
    """

    shape: Shape
    kwargs: dict[str, Any]
    params: int = 0
    macs: int = 0


Rule = Callable[[list[Shape], dict[str, Any]], Inference]


@dataclass(frozen=True)
class Line:
    """One step of a derivation: ``name = formula = value``, e.g. ``H_out = ⌊(28 + 2·2 − 1·(5 −
    1) − 1) / 1⌋ + 1 = 28``. ``formula`` holds numbers and ``+ − · / ⌊⌋ ⌈⌉ ( )`` only, so a
    test can evaluate it; it is empty where the value is simply taken (``C_out = 6``)."""

    name: str
    formula: str
    value: int | Shape
    note: str = ""

    def text(self) -> str:
        value = fmt_shape(self.value) if isinstance(self.value, tuple) else str(self.value)
        body = (
            f"{self.name} = {self.formula} = {value}" if self.formula else f"{self.name} = {value}"
        )
        return f"{body}   ({self.note})" if self.note else body


# How a block's output shape, parameters and MACs follow from its inputs, with the numbers:
# ``(input shapes, resolved params, the rule's inference) -> lines``. Called only after the
# rule accepted the inputs.
Derive = Callable[[list[Shape], dict[str, Any], Inference], list[Line]]


@dataclass(frozen=True)
class Window:
    """What one spatial axis of a block does to the receptive field on the network's input.

    An output position covers ``span`` input positions (a dilated kernel's taps from first to
    last), neighbouring outputs are ``stride`` input positions apart, and the first output's
    window starts ``offset`` positions before the input's first (padding). Fractions allow
    upsampling (a stride of 1/2); plain ints keep the common case fast.
    """

    span: int | Fraction
    stride: int | Fraction
    offset: int | Fraction = 0


# The (height, width) windows of a block on its input, or None where it keeps positions as they
# are (element-wise blocks, norms, merges). ``(input shapes, resolved params) -> windows``.
WindowRule = Callable[[list[Shape], dict[str, Any]], tuple[Window, Window] | None]


class Lowering(enum.Enum):
    """What a block becomes in the compiled graph; the values are torch.fx's node kinds."""

    INPUT = "placeholder"  # the model's argument
    OUTPUT = "output"  # the value the model returns
    MODULE = "call_module"  # a submodule: ``torch_class`` built with the inferred kwargs
    FUNCTION = "call_function"  # ``function`` applied to the inputs, inferred kwargs as keywords


class Saved(enum.Flag):
    """What autograd keeps of a block between its forward and backward pass.

    Read by the memory estimate (``core/memory.py``); each flag follows what torch's derivative
    formulas save, e.g. ``relu`` saves its result, ``convolution`` its input, ``max_pool2d`` its
    input and an int64 index per output element.
    """

    NOTHING = 0
    INPUT = enum.auto()  # the input tensor(s): conv, linear, norms, most activations
    OUTPUT = enum.auto()  # the result: ReLU, Sigmoid, Tanh, Softmax
    INDICES = enum.auto()  # an int64 argmax per output element: max pooling
    MASK = enum.auto()  # a dropout mask, one element per input element
    # Not kept but built while the block runs forward and backward: the unfolded input (im2col),
    # one row of kernel taps per output position, i.e. MACs / output channels per sample.
    COLUMNS = enum.auto()


@dataclass(frozen=True)
class Function:
    """A block computed by a plain function rather than a module, named by its dotted ``path``.

    With ``chain`` a binary function is applied from the left (``a + b + c``); otherwise the
    inputs are passed as one list (``torch.cat([a, b, c], dim=1)``).
    """

    path: str
    chain: bool = False


@dataclass(frozen=True)
class BlockSpec:
    """Everything about one block type; the palette, forms, validation, docs and compiler derive
    from it.

    ``type`` is the ``torch.nn`` class name. A block with no input port is the model's input and
    one with no output port its output; any other block names either the ``torch_class`` to build
    (a dotted path such as ``torch.nn.Conv2d``) or the ``function`` to call.
    ``inputs`` is the number of input ports, or the minimum number for ``variadic`` merges.
    ``saved_for_backward`` is what a training step keeps of the block until its backward pass;
    ``aliases_input`` says that its output is a view of its input (no memory of its own).
    ``derive`` writes the shape rule out with its numbers (``core/derivation.py`` falls back to
    the bare results without it); ``window`` is its sliding window for the receptive field
    (``core/receptive_field.py``).
    """

    type: str
    category: str
    help: str
    rule: Rule
    params: tuple[Param, ...] = ()
    inputs: int = 1
    variadic: bool = False
    outputs: int = 1
    torch_class: str | None = None
    function: Function | None = None
    summary: Callable[[dict[str, Any]], str] | None = None
    saved_for_backward: Saved = Saved.INPUT
    aliases_input: bool = False
    derive: Derive | None = None
    window: WindowRule | None = None

    def __post_init__(self) -> None:
        named = [n for n in ("torch_class", "function") if getattr(self, n) is not None]
        wanted = {Lowering.MODULE: ["torch_class"], Lowering.FUNCTION: ["function"]}
        if named != wanted.get(self.lowering, []):
            given = " and ".join(named) or "nothing"
            raise ValueError(
                f"block {self.type} ({self.lowering.name.lower()}) names {given}; an input or "
                "output names neither torch_class nor function, any other block one of them"
            )

    @property
    def lowering(self) -> Lowering:
        """Told by the ports and ``function``, so no block declares it a second time."""
        if self.inputs == 0:
            return Lowering.INPUT
        if self.outputs == 0:
            return Lowering.OUTPUT
        return Lowering.FUNCTION if self.function is not None else Lowering.MODULE

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate_params(self, params: dict[str, Any], node_id: str) -> dict[str, Any]:
        """Normalised copy of ``params`` (only the keys given); raises GraphError on any fault."""
        if not isinstance(params, dict):
            raise GraphError(f"{node_id} ({self.type}): params must be an object")
        known = {p.name: p for p in self.params}
        out: dict[str, Any] = {}
        for key, value in params.items():
            if key not in known:
                hint = f"; known: {', '.join(known)}" if known else "; it takes none"
                raise ParamError(
                    f"{node_id} ({self.type}): unknown parameter {quote(key)}{hint}", key
                )
            try:
                out[key] = known[key].validate(value, f"{node_id} ({self.type})")
            except GraphError as exc:
                raise ParamError(str(exc), key) from None
        return out

    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``params``."""
        return {**self.defaults, **params}

    def infer(self, shapes: list[Shape], params: dict[str, Any]) -> Inference:
        return self.rule(shapes, self.resolve(params))

    def describe(self, params: dict[str, Any]) -> str:
        """Short text of the key parameters for the canvas, e.g. ``32 @ 3x3, s1``."""
        return self.summary(self.resolve(params)) if self.summary else ""


def numel(shape: Shape) -> int:
    return math.prod(shape)


def fmt_shape(shape: Shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"
