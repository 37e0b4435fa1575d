"""How each node's output shape, parameters and MACs follow from its inputs, with its numbers.

Each block spec writes its own rule out (``BlockSpec.derive``, beside the rule it explains);
a block without one still states its results, so every valid node has a derivation.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.core.blocks import BlockSpec, Inference, Line, Shape


def derive(
    spec: BlockSpec, shapes: list[Shape], params: dict[str, Any], result: Inference
) -> tuple[Line, ...]:
    """The lines that take ``shapes`` to ``result``; ``params`` are the node's resolved ones."""
    if spec.derive is not None:
        lines = spec.derive(shapes, params, result)
    else:
        same = len(shapes) == 1 and shapes[0] == result.shape
        lines = [Line("shape", "", result.shape, "same as its input" if same else "")]
    named = {line.name for line in lines}
    if result.params and "params" not in named:
        lines.append(Line("params", "", result.params))
    if result.macs and "MACs" not in named:
        lines.append(Line("MACs", "", result.macs))
    return tuple(lines)


def derivation_text(lines: tuple[Line, ...]) -> str:
    return "\n".join(line.text() for line in lines)
