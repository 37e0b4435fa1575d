"""Metrics, run folders and callback dispatch: the small pieces a run reports through."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.train.callbacks import CallbackList, TrainingCallbacks, ValPredictions
from cnnstudio.train.metrics import RunningMetrics, confusion_matrix, per_class_accuracy
from cnnstudio.train.runs import RunFolder, new_run_dir, slugify


def test_confusion_matrix_rows_are_true_classes() -> None:
    targets = torch.tensor([0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 2, 2, 0])
    confusion = confusion_matrix(targets, predicted, 4)
    assert confusion.dtype == np.int64
    assert confusion.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    accuracy = per_class_accuracy(confusion)
    assert accuracy[:3] == pytest.approx([0.5, 1.0, 2 / 3])
    assert np.isnan(accuracy[3])


def test_running_metrics_fold_pending_batches_on_flush() -> None:
    metrics = RunningMetrics()
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    metrics.update(torch.tensor(1.0), logits, torch.tensor([0, 1, 1]))
    metrics.update(torch.tensor(3.0), logits[:1], torch.tensor([0]))
    assert metrics.pending == 2
    assert metrics.flush().tolist() == [1.0, 3.0]
    assert metrics.pending == 0
    assert metrics.loss() == pytest.approx((1.0 * 3 + 3.0 * 1) / 4)
    assert metrics.accuracy() == pytest.approx(3 / 4)
    again = RunningMetrics()
    again.load_state(metrics.state())
    assert (again.loss(), again.accuracy()) == (metrics.loss(), metrics.accuracy())


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("LeNet-5", "lenet-5"),
        ("My  Net (v2)!", "my-net-v2"),
        ("Ünïcode Net", "unicode-net"),
        ("***", "untitled"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_run_dirs_are_unique_within_a_second(tmp_path: Path) -> None:
    first, second = new_run_dir(tmp_path, "Net"), new_run_dir(tmp_path, "Net")
    assert first != second
    assert first.parent == second.parent == tmp_path / "net"
    assert second.name.startswith(first.name)


def test_metrics_rows_go_to_jsonl_and_csv_and_truncate_for_resume(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    for epoch in (1, 2, 3):
        folder.append_metrics({"epoch": epoch, "train_loss": 1.0 / epoch, "val_loss": float("nan")})
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss,train_accuracy,val_loss")
    assert len(lines) == 4
    assert json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])["val_loss"] is None
    rows = folder.truncate_metrics(2)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert len((tmp_path / "metrics.csv").read_text().splitlines()) == 3


def test_callbacks_may_implement_any_subset() -> None:
    seen: list[str] = []

    class OnlyEpochs:
        def on_epoch(self, value: object) -> None:
            seen.append(f"plain {value}")

    class Sub(TrainingCallbacks):
        def on_epoch(self, value: object) -> None:
            seen.append(f"sub {value}")

    callbacks = CallbackList([OnlyEpochs(), Sub(), TrainingCallbacks()])
    assert callbacks.wants("on_epoch")
    assert not callbacks.wants("on_features")  # the base class's no-op does not count
    callbacks.emit("on_epoch", 1)
    callbacks.emit("on_batches", 2)
    assert seen == ["plain 1", "sub 1"]
    assert not CallbackList(None).wants("on_epoch")


def test_quiet_emit_logs_a_failing_handler(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def on_end(self, value: object) -> None:
            raise ValueError("boom")

    CallbackList(Broken()).emit_quietly("on_end", None)
    assert "on_end" in caplog.text


def test_val_predictions_pick_samples_most_confident_first() -> None:
    predictions = ValPredictions(
        epoch=1,
        targets=np.array([0, 0, 0, 1]),
        predictions=np.array([1, 1, 0, 1]),
        confidence=np.array([0.6, 0.9, 0.8, 0.7], np.float32),
    )
    assert predictions.samples(0, 1).tolist() == [1, 0]
    assert predictions.samples(1, 0).tolist() == []
