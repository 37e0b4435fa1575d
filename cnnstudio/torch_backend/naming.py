"""Node ids to safe Python identifiers: the one place generated names are checked.

A submodule's name becomes an attribute of the compiled ``fx.GraphModule`` and a local variable
of its generated ``forward``, so it must not be a keyword, a builtin, a name torch.fx's generated
code relies on, or an attribute a ``GraphModule`` already has (``training``, ``graph``, ``code``).
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

import torch.fx as fx
import torch.nn as nn

# Instance attributes too (``training``, ``meta``, ``_modules``), not only class attributes.
_RESERVED = (
    set(dir(fx.GraphModule(nn.Module(), fx.Graph())))
    | set(dir(builtins))
    | {"self", "torch", "nn", "F", "operator", "inf", "nan", "device", "NoneType"}
    | {"fx_pytree", "pytree"}
)


def identifier(text: str, fallback: str = "node") -> str:
    """A valid, non-keyword identifier that shadows nothing an nn.Module or the code needs."""
    name = re.sub(r"\W", "_", text, flags=re.ASCII).strip("_") or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED:
        name += "_"
    return name


def fresh_name(base: str, used: set[str]) -> str:
    """``base``, or ``base_1``, ``base_2``... whichever is not in ``used``; records the choice."""
    name, i = base, 1
    while name in used:
        name = f"{base}_{i}"
        i += 1
    used.add(name)
    return name


def unique_identifiers(ids: Iterable[str], used: set[str] | None = None) -> dict[str, str]:
    """Map each id to a distinct identifier (``conv-1`` and ``conv_1`` cannot both be ``conv_1``).

    Ids that are already safe keep their name whatever their order, so renaming one node never
    renames another in the generated code. ``used`` collects every name handed out.
    """
    ids = list(ids)
    used = set() if used is None else used
    out = {i: i for i in ids if identifier(i) == i and i not in used}
    used.update(out)
    for node_id in ids:
        if node_id not in out:
            out[node_id] = fresh_name(identifier(node_id), used)
    return {i: out[i] for i in ids}


def class_name(text: str) -> str:
    """A CamelCase class name from a project name (``LeNet-5`` -> ``LeNet5``)."""
    parts = re.split(r"\W+", text, flags=re.ASCII)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return identifier(name or "Network", "Net")
