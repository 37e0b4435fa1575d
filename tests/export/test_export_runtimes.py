"""ONNX, TorchScript and torch.export files, each loaded back in its own runtime.

Every example must give the compiled model's output (max abs diff <= 1e-4) at batch 1 and 7.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from export_support import EXAMPLES, ExportCache, sample_input

TOLERANCE = 1e-4
BATCHES = (1, 7)
examples = pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)


@examples
def test_onnx_runs_in_onnxruntime(exports: ExportCache, example: Path) -> None:
    exported = exports.get(example, "onnx")
    assert sorted(p.name for p in exported.path.parent.iterdir()) == ["model.onnx"]  # no sidecar
    proto = onnx.load(str(exported.path))
    onnx.checker.check_model(proto)
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    session = onnxruntime.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    for batch in BATCHES:
        x = sample_input(exported.input_shape, batch, seed=batch)
        (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        with torch.no_grad():
            expected = exported.model(x).numpy()
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= TOLERANCE


@examples
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_torchscript_runs_after_jit_load(exports: ExportCache, example: Path) -> None:
    exported = exports.get(example, "torchscript")
    loaded = torch.jit.load(str(exported.path))
    _compare(loaded, exported.model, exported.input_shape)
    assert any("deprecates TorchScript" in m for m in exported.messages)


@examples
def test_pt2_runs_after_export_load(exports: ExportCache, example: Path) -> None:
    exported = exports.get(example, "pt2")
    program = torch.export.load(str(exported.path))
    _compare(program.module(), exported.model, exported.input_shape)


def _compare(loaded: torch.nn.Module, model: torch.nn.Module, shape: tuple[int, ...]) -> None:
    for batch in BATCHES:
        x = sample_input(shape, batch, seed=batch)
        with torch.no_grad():
            diff = (loaded(x) - model(x)).abs().max().item()
        assert diff <= TOLERANCE
