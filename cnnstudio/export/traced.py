"""``torch.export`` of a compiled model with a dynamic batch, and the ``pt2`` file made from it.

The ``ExportedProgram`` is also what the ONNX exporter translates, so a block that cannot be
traced is reported once, named, for both formats.
"""

from __future__ import annotations

import io
import re

import torch
import torch.fx as fx

from cnnstudio.export.errors import ExportError
from cnnstudio.torch_backend.compiler import NODE_IDS

EXAMPLE_BATCH = 2  # 0 and 1 are specialised by torch.export; any other size stays symbolic
BATCH = "batch"


def example_input(input_shape: tuple[int, ...], batch: int = EXAMPLE_BATCH) -> torch.Tensor:
    return torch.zeros(batch, *input_shape)


def exported_program(
    model: fx.GraphModule, input_shape: tuple[int, ...]
) -> torch.export.ExportedProgram:
    """Trace ``model`` with its batch dimension left free."""
    batch = torch.export.Dim(BATCH)
    try:
        return torch.export.export(
            model, (example_input(input_shape),), dynamic_shapes=({0: batch},), strict=False
        )
    except Exception as exc:  # torch raises many types here; all mean "this graph cannot be traced"
        raise ExportError(f"torch.export cannot trace the network: {first_line(exc)}") from exc


def pt2_bytes(model: fx.GraphModule, input_shape: tuple[int, ...]) -> bytes:
    """A ``.pt2`` archive for ``torch.export.load``."""
    buffer = io.BytesIO()
    torch.export.save(exported_program(model, input_shape), buffer)
    return buffer.getvalue()


def block_of(
    program: torch.export.ExportedProgram, node_name: str, model: fx.GraphModule
) -> str | None:
    """The cnnstudio node id behind node ``node_name`` of ``program``, if a block made it."""
    ids: dict[str, str] = model.meta[NODE_IDS]
    blocks = {str(n.target): ids[n.name] for n in model.graph.nodes if n.op == "call_module"}
    for node in program.graph.nodes:
        if node.name == node_name:
            stack = node.meta.get("nn_module_stack") or {}
            paths = [path for path, _cls in stack.values() if path in blocks]
            return blocks[paths[-1]] if paths else None
    return None


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, without terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__
