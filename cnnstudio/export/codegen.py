"""Safe pieces of generated Python: literals, identifiers and text that cannot inject code.

Generated files are built only from values that pass through here: numbers, strings and tuples
become ``repr()`` literals after a type check (and a round trip through ``ast.literal_eval``),
names must already be identifiers, and free text (a project name, a file name) appears only
escaped inside docstrings or comments.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import math
from typing import Any

import torch.nn as nn

_PAIR_PARAMS = {"kernel_size", "stride", "padding", "dilation", "output_padding"}


def literal(value: Any) -> str:
    """Python source for a plain value: None, bool, int, finite float, str, and tuples, lists
    and str-keyed dicts of them (lists are written as tuples)."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only dicts with string keys can be written as literals")
        code = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
        if ast.literal_eval(code) != _tuples(value):
            raise ValueError(f"literal {code} does not read back as {value!r}")
        return code
    if value is None or isinstance(value, (bool, int, str)):
        code = repr(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write the non-finite number {value!r} as a literal")
        code = repr(value)
    elif isinstance(value, (tuple, list)):
        items = [literal(v) for v in value]
        code = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    else:
        raise TypeError(f"cannot write a {type(value).__name__} as a literal")
    if ast.literal_eval(code) != _tuples(value):
        raise ValueError(f"literal {code} does not read back as {value!r}")
    return code


def dict_block(value: dict[str, Any], indent: str = "    ") -> str:
    """A dict literal with one key per line, for settings a reader may want to edit."""
    lines = [f"{indent}{literal(k)}: {literal(v)}," for k, v in value.items()]
    return "{\n" + "\n".join(lines) + "\n}"


def _tuples(value: Any) -> Any:
    """``value`` with every list turned into a tuple, as ``literal`` writes it."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_tuples(v) for v in value)
    return value


def name(text: str) -> str:
    """``text`` unchanged if it is a plain identifier; anything else is a bug in the caller."""
    if not text.isidentifier() or keyword.iskeyword(text) or not text.isascii():
        raise ValueError(f"{text!r} is not a safe identifier")
    return text


def docstring_text(text: str) -> str:
    """``text`` as a quoted, escaped fragment that is safe in a docstring or a ``#`` comment.

    ``repr`` escapes backslashes, newlines and control characters; escaping every double quote
    as well means the fragment can never close a triple-quoted string.
    """
    return repr(text).replace('"', '\\"')


def module_call(
    module: nn.Module | type[nn.Module],
    kwargs: dict[str, Any],
    variables: dict[str, str] | None = None,
) -> str:
    """``nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5)``: keywords in signature order.

    Arguments equal to the constructor's default are left out, and ``(5, 5)`` for a pair
    parameter is written ``5``, as a person would. ``variables`` names the arguments that are
    written as a variable of the enclosing ``__init__`` (``out_channels=channels``).
    """
    variables = variables or {}
    cls = module if isinstance(module, type) else type(module)
    if getattr(nn, cls.__name__, None) is not cls:
        raise ValueError(f"{cls.__qualname__} is not a torch.nn class")
    signature = inspect.signature(cls.__init__)
    unknown = set(kwargs) - set(signature.parameters)
    if unknown:
        raise ValueError(f"{cls.__name__} takes no argument {sorted(unknown)[0]!r}")
    parts = []
    for pname, param in signature.parameters.items():
        if pname in variables:
            parts.append(f"{name(pname)}={name(variables[pname])}")
            continue
        if pname not in kwargs:
            continue
        value = kwargs[pname]
        if (
            pname in _PAIR_PARAMS
            and isinstance(value, (tuple, list))
            and len(value) == 2
            and value[0] == value[1]
        ):
            value = value[0]
        if param.default is not inspect.Parameter.empty and _same(value, param.default):
            continue
        parts.append(f"{name(pname)}={literal(value)}")
    return f"nn.{name(cls.__name__)}({', '.join(parts)})"


def _same(value: Any, default: Any) -> bool:
    return type(value) is type(default) and value == default
