"""Gradient norms, update ratios and dead ReLUs, measured by the trainer on capture batches."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import Diagnostics, EpochMetrics
from cnnstudio.train.capture import CaptureSettings, FeatureProbe
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.diagnostics import GradientMonitor, relu_zero_shares
from cnnstudio.train.trainer import train


class Reports:
    def __init__(self) -> None:
        self.order: list[str] = []
        self.diagnostics: list[Diagnostics] = []

    def on_diagnostics(self, diagnostics: Diagnostics) -> None:
        self.order.append("diagnostics")
        self.diagnostics.append(diagnostics)

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.order.append("epoch")


def test_each_epoch_reports_every_parametrised_layer_in_network_order(
    lenet: Project, shapes_600: Dataset
) -> None:
    reports = Reports()
    result = train(lenet, reports, dataset=shapes_600, capture=CaptureSettings(every=4))
    assert result.status == "completed"
    assert reports.order == ["diagnostics", "epoch"] * 2
    batches = math.ceil(len(shapes_600.train) / 32)
    for d in reports.diagnostics:
        assert d.layers == ("conv1", "conv2", "fc1", "fc2", "fc3")
        assert d.batches == math.ceil(batches / 4)
        assert np.all(np.isfinite(d.grad_norm))
        assert np.all(d.grad_norm > 0)
        assert np.all(d.update_ratio > 0)
        assert np.all(d.update_ratio < 1)
        assert d.peak_grad_share.max() == 1.0  # the largest layer is its own yardstick
        assert set(d.relu_zeros) == {"relu1", "relu2", "relu3", "relu4"}
        assert all(0.0 <= z <= 1.0 for z in d.relu_zeros.values())
    assert result.run_dir is not None
    rows = [
        json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()
    ]
    written = rows[-1]["diagnostics"]
    last = reports.diagnostics[-1]
    assert list(written["layers"]) == list(last.layers)
    assert written["layers"]["conv1"]["grad_norm"] == last.grad_norm[0]
    assert written["relu_zeros"] == last.relu_zeros


def test_monitor_matches_norms_computed_by_hand(small: Project) -> None:
    model = compile_graph(small.graph, seed=0)
    monitor = GradientMonitor(model)
    assert monitor.layers == ("conv", "fc")
    x = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    model(x).square().mean().backward()
    conv, fc = model.get_submodule("conv"), model.get_submodule("fc")
    expected = [
        math.sqrt(sum(float(p.grad.norm()) ** 2 for p in m.parameters()))  # type: ignore[union-attr]
        for m in (conv, fc)
    ]
    weights = [
        math.sqrt(sum(float(p.detach().norm()) ** 2 for p in m.parameters())) for m in (conv, fc)
    ]
    lr = 0.1
    monitor.before_step()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad  # type: ignore[operator]
    monitor.after_step()
    report = monitor.report(1, {})
    np.testing.assert_allclose(report.grad_norm, expected, rtol=1e-5)
    # Plain SGD moves each layer by lr times its gradient.
    np.testing.assert_allclose(
        report.update_ratio, [lr * g / w for g, w in zip(expected, weights, strict=True)], rtol=1e-4
    )
    np.testing.assert_allclose(report.peak_grad_share, np.array(expected) / max(expected))
    assert report.batches == 1
    monitor.reset()
    assert np.all(np.isnan(monitor.report(2, {}).grad_norm))  # nothing measured yet


def test_a_relu_whose_inputs_are_all_negative_is_all_zeros(small: Project) -> None:
    model = compile_graph(small.graph, seed=0)
    probe = FeatureProbe(model, "logits")
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    alive = relu_zero_shares(probe, x)["relu"]
    assert 0.0 < alive < 0.95
    with torch.no_grad():
        model.get_submodule("conv").bias.fill_(-100.0)  # type: ignore[operator,union-attr]
    assert relu_zero_shares(probe, x) == {"relu": 1.0}
    assert model.training  # the probe put it back in training mode


def test_diagnostics_do_not_change_what_training_computes(
    lenet: Project, shapes_600: Dataset, tmp_path: Path
) -> None:
    """Measuring only reads the gradients and weights: the weights match a run that measures
    on other batches."""
    a = train(lenet, dataset=shapes_600, capture=CaptureSettings(every=1), run_dir=tmp_path / "a")
    b = train(lenet, dataset=shapes_600, capture=CaptureSettings(every=0), run_dir=tmp_path / "b")
    assert a.history[-1]["train_loss"] == b.history[-1]["train_loss"]
    assert a.history[-1]["val_loss"] == b.history[-1]["val_loss"]
