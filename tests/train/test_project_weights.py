"""The project's weights section: attach a run's weights, load them back, refuse stale ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cnnstudio.core.project import Project, load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.checkpoint import CheckpointError, save_weights, sha256
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.trainer import train
from cnnstudio.train.weights import attach_weights, load_project_weights


@pytest.fixture
def trained(lenet: Project, tmp_path: Path) -> Path:
    """Weights of LeNet-5 that differ from a fresh compile (seed 1 instead of 0)."""
    path = tmp_path / "runs" / "some-run" / "best.safetensors"
    path.parent.mkdir(parents=True)
    save_weights(path, compile_graph(lenet.graph, seed=1))
    return path


def test_attach_then_load_round_trip(lenet: Project, trained: Path) -> None:
    section = attach_weights(lenet, trained, run=trained.parent, epoch=3, val_accuracy=0.97)
    assert lenet.path is not None
    copy = lenet.path.with_suffix(".safetensors")
    assert section == {
        "file": "lenet5.safetensors",
        "sha256": sha256(copy),
        "run": "runs/some-run",
        "epoch": 3,
        "val_accuracy": 0.97,
    }
    lenet.save()
    reopened = load_project(lenet.path)
    assert reopened.weights == section
    model = load_project_weights(reopened)
    expected = compile_graph(lenet.graph, seed=1).state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())


def test_attaching_from_a_run_records_classes_and_normalisation(
    lenet: Project, shapes_600: Dataset
) -> None:
    result = train(lenet, dataset=shapes_600, epochs=1)
    assert result.best_weights is not None
    section = attach_weights(lenet, result.best_weights, run=result.run_dir)
    assert section["class_names"][:2] == ["circle", "square"]
    norm = shapes_600.normalization
    assert section["normalization"] == {"mean": list(norm.mean), "std": list(norm.std)}
    assert section["run"].startswith("runs/lenet-5/")
    load_project_weights(lenet)


def test_load_into_a_given_model(lenet: Project, trained: Path) -> None:
    attach_weights(lenet, trained)
    model = compile_graph(lenet.graph, seed=0)
    assert load_project_weights(lenet, model) is model
    assert torch.equal(
        model.state_dict()["conv1.weight"],
        compile_graph(lenet.graph, seed=1).state_dict()["conv1.weight"],
    )


def test_attaching_needs_a_saved_project(trained: Path) -> None:
    with pytest.raises(CheckpointError, match="save the project first"):
        attach_weights(Project(), trained)


def test_attaching_refuses_a_damaged_file(lenet: Project, tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not weights")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        attach_weights(lenet, bad)
    assert lenet.weights is None


def test_changed_graph_gives_a_clear_error(lenet: Project, trained: Path) -> None:
    attach_weights(lenet, trained)
    lenet.graph.set_params("conv1", {"out_channels": 8})
    with pytest.raises(CheckpointError) as caught:
        load_project_weights(lenet)
    message = str(caught.value)
    assert "the weights do not fit the graph (it changed since they were saved)" in message
    assert "conv1.weight is [6, 1, 5, 5] in the file but [8, 1, 5, 5] in the graph" in message


def test_edited_weights_file_fails_the_checksum(lenet: Project, trained: Path) -> None:
    attach_weights(lenet, trained)
    assert lenet.path is not None
    save_weights(lenet.path.with_suffix(".safetensors"), compile_graph(lenet.graph, seed=2))
    with pytest.raises(
        CheckpointError, match=r"^weights\.sha256: .* has changed since it was attached"
    ):
        load_project_weights(lenet)


def test_missing_section_or_file(lenet: Project, trained: Path) -> None:
    with pytest.raises(CheckpointError, match="the project has no trained weights"):
        load_project_weights(lenet)
    attach_weights(lenet, trained)
    assert lenet.path is not None
    lenet.path.with_suffix(".safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"^weights\.file: .* does not exist"):
        load_project_weights(lenet)
