"""Typed block parameters: validation and normalisation of user (or file) values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from cnnstudio.core.errors import GraphError, quote

ParamKind = Literal["int", "float", "bool", "choice", "pair", "padding", "pad4", "shape"]


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    """A finite int or float that fits a float (a JSON file can hold 10**400)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


@dataclass(frozen=True)
class Param:
    """One constructor argument of a block, named exactly as in ``torch.nn``.

    Kinds: ``pair`` is an int or an ``[h, w]`` list; ``padding`` is a pair or one of
    ``choices`` ('same', 'valid'); ``pad4`` is an int or ``[left, right, top, bottom]``;
    ``shape`` is a list of 1-3 positive ints.
    """

    name: str
    kind: ParamKind
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False

    def validate(self, value: Any, where: str) -> Any:
        """Return the normalised value or raise GraphError naming ``where`` and the problem."""
        if value is None:
            if self.nullable:
                return None
            raise GraphError(f"{where}: {self.name} may not be empty")
        if self.kind == "int":
            if not _is_int(value):
                raise GraphError(f"{where}: {self.name} must be an integer, got {quote(value)}")
            self._check_range(value, where)
            return value
        if self.kind == "float":
            if not _is_number(value):
                raise GraphError(f"{where}: {self.name} must be a number, got {quote(value)}")
            self._check_range(value, where)
            return float(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise GraphError(f"{where}: {self.name} must be true or false, got {quote(value)}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                options = ", ".join(self.choices)
                raise GraphError(
                    f"{where}: {self.name} must be one of {options}, got {quote(value)}"
                )
            return value
        if self.kind == "padding" and isinstance(value, str):
            if value not in self.choices:
                options = ", ".join(self.choices)
                raise GraphError(
                    f"{where}: {self.name} must be an integer, a pair or one of {options}, "
                    f"got {quote(value)}"
                )
            return value
        if self.kind in ("pair", "padding"):
            return self._ints(value, (2,), where, "an integer or a pair [h, w]")
        if self.kind == "pad4":
            return self._ints(value, (4,), where, "an integer or [left, right, top, bottom]")
        return self._shape(value, where)

    def _check_range(self, value: float, where: str) -> None:
        if self.minimum is not None and value < self.minimum:
            raise GraphError(
                f"{where}: {self.name} must be >= {self.minimum:g}, got {quote(value)}"
            )
        if self.maximum is not None and value > self.maximum:
            raise GraphError(
                f"{where}: {self.name} must be <= {self.maximum:g}, got {quote(value)}"
            )

    def _ints(self, value: Any, lengths: tuple[int, ...], where: str, what: str) -> Any:
        items = [value] if _is_int(value) else value
        if not isinstance(items, list) or (not _is_int(value) and len(items) not in lengths):
            raise GraphError(f"{where}: {self.name} must be {what}, got {quote(value)}")
        for v in items:
            if not _is_int(v):
                raise GraphError(f"{where}: {self.name} must be {what}, got {quote(value)}")
            self._check_range(v, where)
        return value if _is_int(value) else list(items)

    def _shape(self, value: Any, where: str) -> list[int]:
        if not isinstance(value, list) or not 1 <= len(value) <= 3:
            raise GraphError(
                f"{where}: {self.name} must be a list of 1 to 3 sizes like [1, 28, 28], "
                f"got {quote(value)}"
            )
        for v in value:
            if not _is_int(v) or v < 1 or v > 1_000_000:
                raise GraphError(
                    f"{where}: {self.name} sizes must be positive integers, got {quote(value)}"
                )
        return list(value)


def as_pair(value: int | list[int]) -> tuple[int, int]:
    """An int or [h, w] parameter as (h, w)."""
    if isinstance(value, int):
        return value, value
    return value[0], value[1]
