"""The learning-rate range test: an exponential sweep on a copy that leaves the model alone."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import Project, load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.config import training_config
from cnnstudio.train.data.batching import batches
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.faults import TrainingError
from cnnstudio.train.loss import cross_entropy
from cnnstudio.train.lr_find import END_LR, START_LR, find_lr, lr_range_test, suggest
from cnnstudio.train.optim import build_optimizer
from cnnstudio.train.trainer import train

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "lenet5.cnnstudio"
TARGET_ACCURACY = 0.95


def test_the_model_and_its_optimizer_are_untouched(small: Project, shapes_600: Dataset) -> None:
    config = training_config(small.training)
    model = compile_graph(small.graph, seed=0)
    optimizer = build_optimizer(config, model.parameters())
    data = batches(shapes_600.train, 50, normalization=shapes_600.normalization)
    x, y = next(data)
    loss_fn = cross_entropy("logits", 0.0)
    loss_fn(model(x), y).backward()
    optimizer.step()  # the caller's optimizer has state worth keeping
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    state = [s["exp_avg"].clone() for s in optimizer.state.values()]
    rng = torch.get_rng_state()
    finding = lr_range_test(model, config, loss_fn, data, steps=8)
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    assert all(
        torch.equal(s["exp_avg"], old)
        for s, old in zip(optimizer.state.values(), state, strict=True)
    )
    assert all(g["lr"] == config.lr for g in optimizer.param_groups)
    assert torch.equal(torch.get_rng_state(), rng)
    assert len(finding.lrs) == len(finding.losses) == 8
    ratios = np.diff(np.log(finding.lrs))
    assert np.allclose(ratios, math.log(END_LR / START_LR) / 7)


def test_the_sweep_stops_when_the_loss_diverges(small: Project, shapes_600: Dataset) -> None:
    config = training_config({**(small.training or {}), "optimizer": "sgd"})
    model = compile_graph(small.graph, seed=0)
    data = batches(shapes_600.train, 10, normalization=shapes_600.normalization)
    finding = lr_range_test(model, config, cross_entropy("logits", 0.0), data, steps=50, end_lr=1e6)
    assert 0 < len(finding.lrs) < 50
    assert finding.lrs[-1] < 1e6


def test_the_suggestion_is_the_steepest_fall_before_the_bottom() -> None:
    """A loss falling as -tanh around 1e-3, then rising past 1: the steepest fall is at 1e-3."""
    lrs = list(np.logspace(-7, 1, 161))
    losses = [2 - math.tanh(math.log10(lr) + 3) + max(0.0, math.log10(lr)) ** 2 * 40 for lr in lrs]
    losses[-10:] = list(np.linspace(12, 6, 10))  # a collapsed net's loss drifting down again
    suggested = suggest(lrs, losses)
    assert suggested is not None
    assert abs(math.log10(suggested) + 3) <= 0.05
    assert suggest(lrs[:2], losses[:2]) is None


def test_cli_prints_the_curve_and_its_suggestion(tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["dataset"] = {"source": "shapes", "num_samples": 600}
    doc["training"] = {**doc["training"], "threads": 1, "batch_size": 10}
    path = tmp_path / "net.cnnstudio"
    path.write_text(json.dumps(doc))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "cnnstudio", "lr-find", str(path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"suggested_lr", "lrs", "losses"}
    assert len(out["lrs"]) == len(out["losses"]) <= 500 // 10  # at most one epoch
    assert out["suggested_lr"] == suggest(out["lrs"], out["losses"])
    assert json.loads(path.read_text()) == doc  # the project file is not changed


def test_too_few_samples_for_two_batches_is_a_named_fault(small: Project) -> None:
    small.training = {**(small.training or {}), "batch_size": 300}  # 500 training samples
    with pytest.raises(TrainingError, match="2 full batches of 300 training samples"):
        find_lr(small)


@pytest.mark.slow
def test_on_lenet5_the_suggestion_trains_as_well_as_the_examples_lr(tmp_path: Path) -> None:
    project = load_project(EXAMPLE)
    project.training = {**(project.training or {}), "threads": 1}
    assert analyze(project.graph).valid
    finding = find_lr(project)
    assert finding.suggested_lr is not None
    print(f"suggested lr {finding.suggested_lr:.4g} after {len(finding.lrs)} steps")
    accuracies = {}
    for lr in (finding.suggested_lr, project.training["lr"]):
        result = train(project, run_dir=tmp_path, lr=lr)
        assert result.best_val_accuracy is not None
        accuracies[lr] = result.best_val_accuracy
    print(f"best val accuracy by lr: {accuracies}")
    assert min(accuracies.values()) >= TARGET_ACCURACY
