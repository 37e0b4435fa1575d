"""A run end to end: it learns, writes its run folder, and reports through the callbacks."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.torch
import torch

import cnnstudio
from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.callbacks import (
    BatchProgress,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingResult,
    ValPredictions,
)
from cnnstudio.train.capture import CaptureSettings
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.trainer import Trainer, train


class Recorder:
    """Keeps every report it gets."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.info: RunInfo | None = None
        self.batches: list[BatchProgress] = []
        self.epochs: list[EpochMetrics] = []
        self.features: list[Features] = []
        self.predictions: list[ValPredictions] = []
        self.result: TrainingResult | None = None

    def on_start(self, info: RunInfo) -> None:
        self.events.append("start")
        self.info = info

    def on_batches(self, progress: BatchProgress) -> None:
        self.batches.append(progress)

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.events.append("epoch")
        self.epochs.append(metrics)

    def on_features(self, features: Features) -> None:
        self.features.append(features)

    def on_predictions(self, predictions: ValPredictions) -> None:
        self.predictions.append(predictions)

    def on_end(self, result: TrainingResult) -> None:
        self.events.append("end")
        self.result = result


def test_training_reduces_the_loss(lenet: Project, shapes_600: Dataset) -> None:
    result = train(lenet, dataset=shapes_600, epochs=3)
    assert result.status == "completed", result.failure
    first, last = result.history[0], result.history[-1]
    assert last["train_loss"] < first["train_loss"]
    assert last["val_loss"] < first["val_loss"]
    assert last["val_accuracy"] > 0.2  # chance is 0.1


def test_package_level_train_is_the_same_api(lenet: Project, shapes_600: Dataset) -> None:
    result = cnnstudio.train(lenet, dataset=shapes_600, epochs=1)
    assert result.status == "completed"
    assert result.epochs_done == 1


def test_run_folder_contents_and_strict_checkpoint_load(
    lenet: Project, shapes_600: Dataset
) -> None:
    result = train(lenet, dataset=shapes_600)
    run = result.run_dir
    assert run is not None
    assert run.parent == lenet.base_dir / "runs" / "lenet-5"
    names = {p.name for p in run.iterdir()}
    assert {"config.json", "metrics.jsonl", "metrics.csv", "summary.json"} <= names
    assert {"last.safetensors", "last.state.pt", "best.safetensors"} <= names
    config = json.loads((run / "config.json").read_text())
    assert config["training"]["batch_size"] == 32
    assert config["project"]["name"] == "LeNet-5"
    assert config["data"]["num_train"] == 500
    assert len(config["data"]["normalization"]["mean"]) == 1
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert len(rows[0]["confusion"]) == 10
    with open(run / "metrics.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in table] == [1, 2]
    assert float(table[1]["val_accuracy"]) == pytest.approx(rows[1]["val_accuracy"])
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["epochs_done"] == 2
    for weights in ("last.safetensors", "best.safetensors"):
        model = compile_graph(lenet.graph)
        model.load_state_dict(safetensors.torch.load_file(run / weights), strict=True)
    state = torch.load(run / "last.state.pt", weights_only=True)
    assert state["position"]["epochs_done"] == 2


def test_run_dir_option_sets_the_base_folder(
    lenet: Project, shapes_600: Dataset, tmp_path: Path
) -> None:
    result = train(lenet, dataset=shapes_600, epochs=1, run_dir=tmp_path / "elsewhere")
    assert result.run_dir is not None
    assert result.run_dir.parent == tmp_path / "elsewhere" / "lenet-5"


def test_project_without_dataset_trains_on_shapes_at_the_input_shape(
    small: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnnstudio.train.data import config as data_config

    monkeypatch.setattr(data_config, "DEFAULT_NUM_SAMPLES", 300)
    small.dataset = None
    recorder = Recorder()
    result = train(small, recorder, epochs=1)
    assert result.status == "completed", result.failure
    assert recorder.info is not None
    assert recorder.info.input_shape == (1, 28, 28)
    assert recorder.info.class_names[0] == "circle"


def test_epoch_reports(lenet: Project, shapes_600: Dataset) -> None:
    recorder = Recorder()
    result = train(lenet, recorder, dataset=shapes_600)
    assert recorder.events[0] == "start"
    assert recorder.events[-1] == "end"
    assert recorder.result == result
    assert [m.epoch for m in recorder.epochs] == [1, 2]
    for m in recorder.epochs:
        assert m.confusion.shape == (10, 10)
        assert m.confusion.dtype == np.int64
        assert m.confusion.sum() == 100
        assert m.val_accuracy == pytest.approx(np.trace(m.confusion) / 100)
        assert m.per_class_accuracy.shape == (10,)
        assert m.samples_per_s > 0
        assert m.seconds > 0
        assert m.lr == pytest.approx(0.003)
        assert m.row()["samples_per_s"] == pytest.approx(m.samples_per_s, abs=0.1)
    assert recorder.epochs[0].best


def test_batch_reports_are_rate_limited_and_carry_every_loss(
    lenet: Project, shapes_600: Dataset
) -> None:
    recorder = Recorder()
    trainer = Trainer(lenet, recorder, dataset=shapes_600, batch_size=4, report_interval=3600)
    assert trainer.run().status == "completed"
    # 125 batches per epoch, but only the end-of-epoch flush is due within an hour.
    assert len(recorder.batches) == 2
    assert [len(b.losses) for b in recorder.batches] == [125, 125]
    assert [b.batch for b in recorder.batches] == [125, 125]
    assert recorder.batches[-1].step == 250
    assert recorder.batches[-1].eta_s == pytest.approx(0.0)
    losses = np.concatenate([b.losses for b in recorder.batches])
    assert losses.dtype == np.float32
    assert np.isfinite(losses).all()


def test_default_rate_is_at_most_about_30_reports_a_second(
    lenet: Project, shapes_600: Dataset
) -> None:
    recorder = Recorder()
    result = train(lenet, recorder, dataset=shapes_600, batch_size=2, epochs=1)
    assert result.status == "completed"
    (epoch,) = recorder.epochs
    assert len(recorder.batches) <= epoch.seconds * 30 + 2
    assert sum(len(b.losses) for b in recorder.batches) == 250
    assert recorder.batches[0].batch == len(recorder.batches[0].losses)
    steps = [b.step for b in recorder.batches]
    assert steps == sorted(steps)
    assert all(b.samples_per_s > 0 and b.epoch_eta_s >= 0 for b in recorder.batches)


def test_feature_capture_shapes_for_every_node(lenet: Project, shapes_600: Dataset) -> None:
    recorder = Recorder()
    capture = CaptureSettings(every=5, sample=7, weights=("fc1",))
    trainer = Trainer(lenet, recorder, dataset=shapes_600, epochs=1, capture=capture)
    assert trainer.run().status == "completed"
    # 16 batches: captures after batches 5, 10, 15, then one at the epoch's end.
    assert [f.batch for f in recorder.features] == [5, 10, 15, 16]
    analysis = analyze(lenet.graph)
    layers = {n for n, info in analysis.nodes.items() if info.in_model and info.type != "Output"}
    for f in recorder.features:
        assert layers <= set(f.activations)
        for node_id, activation in f.activations.items():
            assert activation.shape == analysis.nodes[node_id].output_shape
        assert all(v.dtype == np.float32 for v in f.activations.values())
        assert set(f.weights) == {"conv1", "fc1"}
        assert f.weights["conv1"].shape == (6, 1, 5, 5)
        assert f.weights["fc1"].shape == (120, 400)
        assert f.probabilities.shape == (10,)
        assert f.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert f.sample == 7
        assert f.label == int(shapes_600.val.y[7])
    first, last = recorder.features[0], recorder.features[-1]
    assert not np.array_equal(first.weights["conv1"], last.weights["conv1"])  # copies, not views


def test_captures_keep_their_minimum_interval(lenet: Project, shapes_600: Dataset) -> None:
    recorder = Recorder()
    capture = CaptureSettings(every=1, min_interval_s=3600.0)
    trainer = Trainer(lenet, recorder, dataset=shapes_600, epochs=2, capture=capture)
    assert trainer.run().status == "completed"
    # The first batch's capture, then none for an hour, across epochs; epoch ends always.
    assert [(f.epoch, f.batch) for f in recorder.features] == [(1, 1), (1, 16), (2, 16)]


def test_capture_of_chosen_nodes_does_not_change_training(
    small: Project, shapes_600: Dataset
) -> None:
    plain = train(small, dataset=shapes_600, epochs=1, run_dir=small.base_dir / "a")
    recorder = Recorder()
    capture = CaptureSettings(every=1, nodes=("conv", "fc"))
    probed = train(
        small, recorder, dataset=shapes_600, epochs=1, capture=capture, run_dir=small.base_dir / "b"
    )
    assert all(set(f.activations) == {"conv", "fc"} for f in recorder.features)
    assert len(recorder.features) == 10 + 1
    assert plain.last_weights is not None
    assert probed.last_weights is not None
    a = safetensors.torch.load_file(plain.last_weights)
    b = safetensors.torch.load_file(probed.last_weights)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_validation_predictions_match_the_confusion_matrix(
    lenet: Project, shapes_600: Dataset
) -> None:
    recorder = Recorder()
    train(lenet, recorder, dataset=shapes_600, epochs=1)
    (p,) = recorder.predictions
    (m,) = recorder.epochs
    assert p.targets.tolist() == shapes_600.val.y.tolist()
    assert p.predictions.shape == p.confidence.shape == (100,)
    rebuilt = np.zeros((10, 10), np.int64)
    np.add.at(rebuilt, (p.targets, p.predictions), 1)
    assert np.array_equal(rebuilt, m.confusion)
    assert ((p.confidence > 0) & (p.confidence <= 1)).all()


def test_early_stopping_ends_the_run(lenet: Project, shapes_600: Dataset) -> None:
    rule: dict[str, Any] = {"metric": "val_loss", "patience": 2, "min_delta": 100.0}
    result = train(lenet, dataset=shapes_600, epochs=10, early_stopping=rule)
    assert result.status == "early_stopped"
    assert result.epochs_done == 3


def test_network_ending_in_softmax_still_learns(small: Project, shapes_600: Dataset) -> None:
    from cnnstudio.core.graph import Edge, Node

    graph = small.graph
    graph.disconnect(Edge("fc", "out"))
    graph.add_node(Node("softmax", "Softmax", {"dim": 1}))
    graph.connect(Edge("fc", "softmax"))
    graph.connect(Edge("softmax", "out"))
    recorder = Recorder()
    result = train(small, recorder, dataset=shapes_600, epochs=2, lr=0.01)
    assert result.status == "completed", result.failure
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert recorder.features[-1].probabilities.sum() == pytest.approx(1.0, abs=1e-5)
