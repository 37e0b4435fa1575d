"""A block's single source of truth: parameters, ports, shape rule, cost and torch class."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
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
class BlockSpec:
    """Everything about one block type; the palette, forms, validation and docs derive from it.

    ``type`` is the ``torch.nn`` class name (``torch_class`` names the class to build; ``None``
    means the backend emits a plain operation, as for Input, Output, Add and Concat).
    ``inputs`` is the number of input ports, or the minimum number for ``variadic`` merges.
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
    summary: Callable[[dict[str, Any]], str] | None = None

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
