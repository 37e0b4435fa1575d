"""``path/to/file.py:Name(k=v)``: the user's own module, built by running the user's own file.

The file is executed as Python (it is the user's code, chosen by the user); nothing from a
project file is ever executed. Keyword arguments are literals only (``ast.literal_eval``).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch.nn as nn

from cnnstudio.core.errors import CnnStudioError, quote

_SOURCE = re.compile(r"^(?P<file>.+\.py):(?P<name>[A-Za-z_]\w*)(?:\((?P<args>.*)\))?$", re.S)


class ImportFailed(CnnStudioError):
    """The module cannot be imported; the message names the cause (and every unsupported op)."""


class SourceError(CnnStudioError):
    """The ``file.py:Name(...)`` given cannot be read: a bad form, arguments or a missing file."""


@dataclass(frozen=True)
class ModuleSource:
    file: Path
    name: str
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class LoadedModule:
    module: nn.Module
    file: Path
    # The file's ``INPUT_SHAPE`` constant (as a cnnstudio export writes it), if it has one.
    input_shape: tuple[int, ...] | None


def parse_source(text: str) -> ModuleSource:
    """Split ``file.py:Name`` or ``file.py:Name(k=1, s='x')``; arguments must be literals."""
    match = _SOURCE.match(text.strip())
    if match is None:
        raise SourceError(
            f"{quote(text)}: expected path/to/file.py:Name or path/to/file.py:Name(k=v, ...)"
        )
    return ModuleSource(Path(match["file"]), match["name"], parse_kwargs(match["args"] or ""))


def parse_kwargs(text: str) -> dict[str, Any]:
    """``k=1, s='x'`` as a dict; positional arguments and non-literal values are refused."""
    if not text.strip():
        return {}
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise SourceError(
            f"arguments {quote(text)} are not valid Python keyword arguments"
        ) from None
    assert isinstance(call, ast.Call)
    if call.args or any(k.arg is None for k in call.keywords):
        raise SourceError(f"arguments {quote(text)}: give keyword arguments only (k=v)")
    out: dict[str, Any] = {}
    for keyword in call.keywords:
        try:
            out[str(keyword.arg)] = ast.literal_eval(keyword.value)
        except ValueError:
            raise SourceError(
                f"argument {keyword.arg}: {quote(ast.unparse(keyword.value))} is not a literal "
                "(numbers, strings, booleans, None, tuples, lists, dicts)"
            ) from None
    return out


def load_module(source: ModuleSource) -> LoadedModule:
    """Execute the user's file and build ``Name(**kwargs)``: a module class or a function."""
    file = source.file
    if not file.is_file():
        raise SourceError(f"{file}: no such file")
    unique = f"cnnstudio_user_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(unique, file)
    assert spec is not None
    assert spec.loader is not None
    namespace = importlib.util.module_from_spec(spec)
    sys.modules[unique] = namespace  # dataclasses and pickling look their module up here
    try:
        spec.loader.exec_module(namespace)
    except Exception as exc:
        raise ImportFailed(
            f"{file}: running the file failed ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        sys.modules.pop(unique, None)
    factory = getattr(namespace, source.name, None)
    if factory is None:
        raise ImportFailed(f"{file}: defines no {source.name}")
    if not callable(factory):
        raise ImportFailed(f"{file}: {source.name} is neither an nn.Module class nor a function")
    try:
        module = factory(**source.kwargs)
    except Exception as exc:
        raise ImportFailed(
            f"{file}: {source.name}({_args(source.kwargs)}) failed ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(module, nn.Module):
        raise ImportFailed(
            f"{file}: {source.name}({_args(source.kwargs)}) gave a {type(module).__name__}, "
            "not an nn.Module"
        )
    shape = getattr(namespace, "INPUT_SHAPE", None)
    fits = isinstance(shape, tuple) and all(isinstance(s, int) and s > 0 for s in shape)
    return LoadedModule(module, file, shape if fits else None)


def _args(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
