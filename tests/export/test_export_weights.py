"""Which weights an export carries: the project's trained ones, else ones seeded from
``training.seed``; the same project exported twice gives identical weights in every format."""

from __future__ import annotations

import shutil
from pathlib import Path

import onnx
import pytest
import safetensors.torch
import torch
from export_support import EXAMPLES, FILE_NAMES, sample_input

from cnnstudio.core.project import load_project
from cnnstudio.export import StaleWeightsError, export_project, stale_weights
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.weights import attach_weights

LENET = next(p for p in EXAMPLES if p.stem == "lenet5")


@pytest.fixture
def trained_project(tmp_path: Path) -> Path:
    """LeNet-5 with trained weights attached (weights drawn from another seed stand in)."""
    path = tmp_path / "lenet.cnnstudio"
    shutil.copy(LENET, path)
    project = load_project(path)
    trained = compile_graph(project.graph, seed=1234)
    weights = tmp_path / "trained.safetensors"
    safetensors.torch.save_file(dict(trained.state_dict()), str(weights))
    attach_weights(project, weights, run=tmp_path / "runs" / "lenet-5" / "20250101-120000", epoch=7)
    project.save()
    return path


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_trained_weights_are_exported(trained_project: Path, tmp_path: Path) -> None:
    project = load_project(trained_project)
    expected = compile_graph(project.graph, seed=1234).eval()
    messages: list[str] = []
    export_project(project, "python", tmp_path / "model.py", progress=messages.append)
    assert "weights: trained (run runs/lenet-5/20250101-120000, epoch 7)" in messages
    tensors = safetensors.torch.load_file(str(tmp_path / "model.safetensors"))
    assert all(torch.equal(tensors[k], v) for k, v in expected.state_dict().items())
    result = export_project(project, "torchscript", tmp_path / "model.pt")
    assert result.weights.startswith("trained")
    x = sample_input((1, 28, 28), batch=3)
    with torch.no_grad():
        got = torch.jit.load(str(tmp_path / "model.pt"))(x)
        assert torch.allclose(got, expected(x), atol=1e-6)


def test_fresh_weights_on_request_use_the_training_seed(
    trained_project: Path, tmp_path: Path
) -> None:
    project = load_project(trained_project)
    project.training = {"seed": 5}
    result = export_project(project, "python", tmp_path / "model.py", fresh_weights=True)
    assert result.weights == "freshly initialised (seed 5)"
    tensors = safetensors.torch.load_file(str(tmp_path / "model.safetensors"))
    seeded = compile_graph(project.graph, seed=5).state_dict()
    assert all(torch.equal(tensors[k], v) for k, v in seeded.items())


def test_trained_weights_that_no_longer_fit_are_refused_by_name(
    trained_project: Path, tmp_path: Path
) -> None:
    project = load_project(trained_project)
    assert stale_weights(project) is None
    project.graph.set_params("fc1", {"out_features": 100})
    reason = stale_weights(project)
    assert reason is not None
    assert "fc1.weight is [120, 400] in the file but [100, 400] in the graph" in reason
    with pytest.raises(StaleWeightsError, match=r"stale.*fc1\.weight is \[120, 400\]"):
        export_project(project, "onnx", tmp_path / "model.onnx")
    assert list(tmp_path.glob("model*")) == []


def test_stale_weights_export_without_them_on_request(
    trained_project: Path, tmp_path: Path
) -> None:
    project = load_project(trained_project)
    project.graph.set_params("fc1", {"out_features": 100})
    result = export_project(project, "python", tmp_path / "model.py", fresh_weights=True)
    assert result.weights == "freshly initialised (seed 0)"
    tensors = safetensors.torch.load_file(str(tmp_path / "model.safetensors"))
    assert tensors["fc1.weight"].shape == (100, 400)
    seeded = compile_graph(project.graph, seed=0).state_dict()
    assert all(torch.equal(tensors[k], v) for k, v in seeded.items())


def test_a_project_without_weights_is_never_stale() -> None:
    assert stale_weights(load_project(LENET)) is None


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_exporting_twice_gives_identical_weights(tmp_path: Path) -> None:
    project = load_project(LENET)
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        for fmt, name in FILE_NAMES.items():
            export_project(project, fmt, tmp_path / run / name)
    for name in ("model.safetensors", "train.safetensors"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
    first, second = (onnx.load(str(tmp_path / r / "model.onnx")) for r in ("first", "second"))
    assert [t.SerializeToString() for t in first.graph.initializer] == [
        t.SerializeToString() for t in second.graph.initializer
    ]
    runs = [tmp_path / "first", tmp_path / "second"]
    scripted = [torch.jit.load(str(r / "model.pt")).state_dict() for r in runs]
    programs = [torch.export.load(str(r / "model.pt2")).state_dict for r in runs]
    for a, b in (scripted, programs):
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
