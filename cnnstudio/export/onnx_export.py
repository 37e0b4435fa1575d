"""ONNX through the ``torch.export``-based exporter (``dynamo=True``, onnxscript).

PyTorch 2.9 made this exporter the default and deprecated the TorchScript-based one, which
only survives behind ``dynamo=False``; cnnstudio uses the supported path. The file is one
self-contained ``.onnx`` (weights inline, no external-data sidecar), opset ``OPSET``, with the
batch dimension named ``batch`` and left free.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import warnings
from collections.abc import Iterator

import torch
import torch.fx as fx

from cnnstudio.export.errors import EXTRA_HINT, ExportError
from cnnstudio.export.traced import BATCH, block_of, exported_program, first_line

OPSET = 18  # ONNX Runtime >= 1.14 and every current converter read it
INPUT_NAME, OUTPUT_NAME = "input", "output"
PROTOBUF_LIMIT = 2**31 - 2**20  # a single-file model must stay under protobuf's 2 GiB


def require_onnx() -> None:
    """Fail with the install hint when the optional exporter packages are missing."""
    for package in ("onnx", "onnxscript"):
        try:
            importlib.import_module(package)
        except ImportError:
            raise ExportError(
                f"the onnx format needs the '{package}' package: {EXTRA_HINT}"
            ) from None


def onnx_bytes(model: fx.GraphModule, input_shape: tuple[int, ...]) -> bytes:
    """The serialised ONNX model of ``model`` (eval mode), batch dimension dynamic."""
    require_onnx()
    weight_bytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    if weight_bytes > PROTOBUF_LIMIT:
        raise ExportError(
            f"the weights take {weight_bytes / 2**30:.1f} GiB; a single ONNX file holds at most 2 GiB"
        )
    program = exported_program(model, input_shape)
    try:
        with _quiet():
            onnx_program = torch.onnx.export(
                program,
                dynamo=True,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                verbose=False,
            )
    except Exception as exc:  # the exporter's errors are many types; all mean "not expressible"
        raise ExportError(_explain(exc, program, model)) from exc
    assert onnx_program is not None
    proto = onnx_program.model_proto
    _name_batch_dimension(proto)
    data: bytes = proto.SerializeToString()
    return data


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter's chatter that says nothing about this model.

    It logs a warning per missing torchvision operator (cnnstudio needs none) and trips one
    ``FutureWarning`` inside torch's own pytree code; both are torch internals.
    """
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore",
                message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                category=FutureWarning,
            )
            yield
    finally:
        registration.setLevel(level)


def _explain(exc: Exception, program: torch.export.ExportedProgram, model: fx.GraphModule) -> str:
    """One line naming the block ONNX cannot express, when the exporter's report says which."""
    text = "\n".join(str(e) for e in (exc, exc.__cause__) if e is not None)
    op = re.search(r"No ONNX function found for <OpOverload\(op='([\w.]+)'", text)
    node = re.search(r"Error when translating node %(\w+)", text)
    block = block_of(program, node.group(1), model) if node else None
    if op and block:
        return f"ONNX (opset {OPSET}) has no equivalent of {op.group(1)}, used by block {block!r}"
    if op:
        return f"ONNX (opset {OPSET}) has no equivalent of {op.group(1)}"
    return f"the ONNX exporter failed: {first_line(exc)}"


def _name_batch_dimension(proto: object) -> None:
    """Call the free batch dimension ``batch`` everywhere (torch.export names it ``s0``...)."""
    graph = proto.graph  # type: ignore[attr-defined]
    first = graph.input[0].type.tensor_type.shape.dim[0]
    old = first.dim_param
    if not old:
        return
    for value in [*graph.input, *graph.output, *graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param == old:
                dim.dim_param = BATCH
