"""What a spec says a block compiles to, checked where the spec is declared."""

from __future__ import annotations

import re

import pytest

from cnnstudio.core.blocks import BlockSpec, Function, Inference, Lowering, Shape, all_specs


def _rule(shapes: list[Shape], params: dict[str, object]) -> Inference:
    return Inference(shapes[0], {})


def test_input_and_output_are_told_by_their_ports() -> None:
    by_lowering = {s.type: s.lowering for s in all_specs()}
    assert by_lowering["Input"] is Lowering.INPUT
    assert by_lowering["Output"] is Lowering.OUTPUT
    assert by_lowering["Add"] is Lowering.FUNCTION
    assert by_lowering["Concat"] is Lowering.FUNCTION
    assert by_lowering["Conv2d"] is Lowering.MODULE


@pytest.mark.parametrize(
    ("ports", "names", "fault"),
    [
        ({"inputs": 0}, {"torch_class": "torch.nn.Identity"}, "(input) names torch_class"),
        ({"outputs": 0}, {"function": Function("torch.cat")}, "(output) names function"),
        ({}, {}, "(module) names nothing"),
        (
            {},
            {"torch_class": "torch.nn.Identity", "function": Function("torch.cat")},
            "(function) names torch_class and function",
        ),
    ],
)
def test_a_spec_names_exactly_what_it_compiles_to(
    ports: dict[str, int], names: dict[str, object], fault: str
) -> None:
    with pytest.raises(ValueError, match=rf"block Odd {re.escape(fault)}"):
        BlockSpec("Odd", "Shape", "help", _rule, **ports, **names)  # type: ignore[arg-type]
