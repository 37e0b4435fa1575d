"""Counts and shapes as the window shows them: short, with a unit (``61.7 k``, ``1x28x28``)."""

from __future__ import annotations

from collections.abc import Sequence


def short_count(n: float) -> str:
    """Three significant digits and a k/M/G suffix: 61706 -> '61.7 k', 999 -> '999'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale * 0.9995:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.3g}" if isinstance(n, float) else str(n)


def shape_text(shape: Sequence[int] | None) -> str:
    return "?" if shape is None else "x".join(str(s) for s in shape)
