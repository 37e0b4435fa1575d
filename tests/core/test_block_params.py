"""Parameter validation: each kind accepts what torch accepts and names the fault otherwise."""

from __future__ import annotations

import math
from typing import Any

import pytest

from cnnstudio.core.blocks import all_specs, get_spec
from cnnstudio.core.errors import GraphError, ParamError
from cnnstudio.core.params import Param, as_pair

INT = Param("n", "int", 1, "", minimum=1, maximum=10)
FLOAT = Param("x", "float", 0.5, "", minimum=0.0, maximum=1.0)
BOOL = Param("b", "bool", True, "")
CHOICE = Param("mode", "choice", "a", "", choices=("a", "b"))
PAIR = Param("k", "pair", 3, "", minimum=1, maximum=9)
PADDING = Param("padding", "padding", 0, "", minimum=0, maximum=9, choices=("same", "valid"))
PAD4 = Param("pad", "pad4", 1, "", minimum=0, maximum=9)
SHAPE = Param("shape", "shape", [1, 28, 28], "")
NULLABLE = Param("stride", "pair", None, "", minimum=1, maximum=9, nullable=True)


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (INT, 1, 1),
        (INT, 10, 10),
        (FLOAT, 0, 0.0),
        (FLOAT, 1, 1.0),
        (FLOAT, 0.25, 0.25),
        (BOOL, False, False),
        (CHOICE, "b", "b"),
        (PAIR, 9, 9),
        (PAIR, [1, 9], [1, 9]),
        (PADDING, "same", "same"),
        (PADDING, [0, 2], [0, 2]),
        (PADDING, 3, 3),
        (PAD4, [0, 1, 2, 3], [0, 1, 2, 3]),
        (PAD4, 2, 2),
        (SHAPE, [3], [3]),
        (SHAPE, [3, 32, 32], [3, 32, 32]),
        (NULLABLE, None, None),
        (NULLABLE, [2, 1], [2, 1]),
    ],
)
def test_accepted_values_are_normalised(param: Param, value: Any, expected: Any) -> None:
    result = param.validate(value, "node (Block)")
    assert result == expected
    assert type(result) is type(expected)


def test_float_kind_returns_floats_and_lists_are_copied() -> None:
    assert isinstance(FLOAT.validate(1, "n"), float)
    value = [1, 2]
    assert PAIR.validate(value, "n") is not value


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (INT, True, "n must be an integer, got True"),
        (INT, 2.0, "n must be an integer, got 2.0"),
        (INT, "3", "n must be an integer, got '3'"),
        (INT, 0, "n must be >= 1, got 0"),
        (INT, 11, "n must be <= 10, got 11"),
        (INT, None, "n may not be empty"),
        (FLOAT, False, "x must be a number, got False"),
        (FLOAT, "0.5", "x must be a number, got '0.5'"),
        (FLOAT, math.nan, "x must be a number, got nan"),
        (FLOAT, math.inf, "x must be a number, got inf"),
        (FLOAT, 10**400, "x must be a number, got 1000000"),
        (FLOAT, -0.5, "x must be >= 0, got -0.5"),
        (FLOAT, 1.5, "x must be <= 1, got 1.5"),
        (BOOL, 1, "b must be true or false, got 1"),
        (BOOL, "true", "b must be true or false, got 'true'"),
        (CHOICE, "c", "mode must be one of a, b, got 'c'"),
        (CHOICE, ["a"], "mode must be one of a, b, got \\['a'\\]"),
        (PAIR, True, "k must be an integer or a pair \\[h, w\\], got True"),
        (PAIR, [3], "k must be an integer or a pair \\[h, w\\], got \\[3\\]"),
        (PAIR, [3, 3, 3], "k must be an integer or a pair"),
        (PAIR, [3, "3"], "k must be an integer or a pair"),
        (PAIR, [3, True], "k must be an integer or a pair"),
        (PAIR, (3, 3), "k must be an integer or a pair"),
        (PAIR, 0, "k must be >= 1, got 0"),
        (PAIR, [1, 10], "k must be <= 9, got 10"),
        (PADDING, "full", "padding must be an integer, a pair or one of same, valid, got 'full'"),
        (PADDING, -1, "padding must be >= 0, got -1"),
        (PAD4, [1, 2], "pad must be an integer or \\[left, right, top, bottom\\]"),
        (SHAPE, [], "shape must be a list of 1 to 3 sizes like \\[1, 28, 28\\], got \\[\\]"),
        (SHAPE, [1, 2, 3, 4], "shape must be a list of 1 to 3 sizes"),
        (SHAPE, 28, "shape must be a list of 1 to 3 sizes"),
        (SHAPE, [3, 0, 28], "shape sizes must be positive integers, got \\[3, 0, 28\\]"),
        (SHAPE, [3, -28, 28], "shape sizes must be positive integers"),
        (SHAPE, [3, 28.0, 28], "shape sizes must be positive integers"),
        (SHAPE, [3, True, 28], "shape sizes must be positive integers"),
        (SHAPE, [3, 2_000_000, 28], "shape sizes must be positive integers"),
        (SHAPE, None, "shape may not be empty"),
    ],
)
def test_refused_values_name_node_parameter_and_value(
    param: Param, value: Any, message: str
) -> None:
    with pytest.raises(GraphError, match=r"^node \(Block\): " + message):
        param.validate(value, "node (Block)")


def test_long_or_multiline_values_are_quoted_on_one_short_line() -> None:
    with pytest.raises(GraphError) as info:
        CHOICE.validate("x\n" * 10_000, "node (Block)")
    message = str(info.value)
    assert "\n" not in message
    assert len(message) < 150
    assert message.endswith("...")


def test_validate_params_names_the_parameter() -> None:
    spec = get_spec("Conv2d")
    with pytest.raises(
        ParamError, match=r"c \(Conv2d\): unknown parameter 'kernal_size'; known: "
    ) as info:
        spec.validate_params({"kernal_size": 3}, "c")
    assert info.value.param == "kernal_size"
    with pytest.raises(ParamError) as info:
        spec.validate_params({"stride": 0}, "c")
    assert info.value.param == "stride"
    with pytest.raises(ParamError, match=r"r \(ReLU\): unknown parameter 'inplace'; it takes none"):
        get_spec("ReLU").validate_params({"inplace": True}, "r")
    with pytest.raises(GraphError, match=r"c \(Conv2d\): params must be an object"):
        spec.validate_params([3], "c")  # type: ignore[arg-type]


def test_validate_params_keeps_only_the_given_keys() -> None:
    assert get_spec("Conv2d").validate_params({"stride": [1, 2]}, "c") == {"stride": [1, 2]}


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_every_default_is_valid_and_every_param_documented(spec) -> None:
    assert spec.validate_params(spec.defaults, "n") == spec.defaults
    names = [p.name for p in spec.params]
    assert len(names) == len(set(names))
    for p in spec.params:
        assert p.help.strip(), f"{spec.type}.{p.name} has no help text"
        assert spec.param(p.name) is p
        if p.kind in ("choice", "padding"):
            assert p.choices
    with pytest.raises(KeyError):
        spec.param("no_such_param")


def test_as_pair() -> None:
    assert as_pair(3) == (3, 3)
    assert as_pair([2, 5]) == (2, 5)
