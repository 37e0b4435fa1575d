"""Node ids to safe Python identifiers: the one place generated names are checked."""

from __future__ import annotations

import builtins
import keyword
import re

import torch.nn as nn

_RESERVED = set(dir(nn.Module)) | set(dir(builtins)) | {"self", "torch", "nn", "F", "operator"}


def identifier(text: str, fallback: str = "node") -> str:
    """A valid, non-keyword identifier that shadows nothing an nn.Module or the code needs."""
    name = re.sub(r"\W", "_", text, flags=re.ASCII).strip("_") or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED:
        name += "_"
    return name


def unique_identifiers(ids: list[str]) -> dict[str, str]:
    """Map each id to a distinct identifier (``conv-1`` and ``conv_1`` cannot both be ``conv_1``)."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for node_id in ids:
        base = name = identifier(node_id)
        i = 1
        while name in used:
            name = f"{base}_{i}"
            i += 1
        used.add(name)
        out[node_id] = name
    return out


def class_name(text: str) -> str:
    """A CamelCase class name from a project name (``LeNet-5`` -> ``LeNet5``)."""
    parts = re.split(r"\W+", text, flags=re.ASCII)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return identifier(name or "Network", "Net")
