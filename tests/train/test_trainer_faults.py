"""Faults end the run with status 'failed' and a clear message through on_error; never raise."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import torch

from cnnstudio.core.graph import Edge
from cnnstudio.core.memory import format_bytes
from cnnstudio.core.project import Project
from cnnstudio.train import trainer as trainer_mod
from cnnstudio.train.callbacks import TrainingFailure, TrainingResult
from cnnstudio.train.config import training_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.memory import estimate_for
from cnnstudio.train.trainer import train


class Failures:
    def __init__(self) -> None:
        self.errors: list[TrainingFailure] = []
        self.ends: list[TrainingResult] = []

    def on_error(self, failure: TrainingFailure) -> None:
        self.errors.append(failure)

    def on_end(self, result: TrainingResult) -> None:
        self.ends.append(result)


def _failed(project: Project, **options: Any) -> TrainingFailure:
    seen = Failures()
    result = train(project, seen, **options)
    assert result.status == "failed"
    assert [r.status for r in seen.ends] == ["failed"]
    assert seen.errors == [result.failure]
    assert result.failure is not None
    return result.failure


def test_divergence_names_epoch_and_batch_and_suggests_a_lower_rate(
    lenet: Project, shapes_600: Dataset
) -> None:
    failure = _failed(lenet, dataset=shapes_600, optimizer="sgd", lr=1e12)
    assert failure.kind == "nan"
    assert failure.epoch == 1
    assert failure.batch is not None
    assert f"at epoch 1, batch {failure.batch}:" in failure.message
    assert "try a lower learning rate (training.lr is 1e+12)" in failure.message


def test_a_nan_loss_is_caught_at_the_batch_it_appears(
    lenet: Project, shapes_600: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = trainer_mod._plain_step
    calls = 0

    def poisoned(
        s: Any, x: torch.Tensor, y: torch.Tensor, weight: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        nonlocal calls
        calls += 1
        loss, outputs = real(s, x, y, weight)
        return (loss * float("nan") if calls == 4 else loss), outputs

    monkeypatch.setattr(trainer_mod, "_plain_step", poisoned)
    failure = _failed(lenet, dataset=shapes_600, report_interval=3600)
    assert (failure.kind, failure.epoch, failure.batch) == ("nan", 1, 4)
    assert failure.message.startswith("the loss became nan at epoch 1, batch 4")


def test_a_failed_run_records_its_failure_and_keeps_the_last_good_checkpoint(
    lenet: Project, shapes_600: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    real = trainer_mod._plain_step
    calls = 0

    def crash_in_epoch_2(s: Any, x: torch.Tensor, y: torch.Tensor, weight: float) -> Any:
        nonlocal calls
        calls += 1
        if calls == 20:
            raise ValueError("a bug")
        return real(s, x, y, weight)

    monkeypatch.setattr(trainer_mod, "_plain_step", crash_in_epoch_2)
    seen = Failures()
    result = train(lenet, seen, dataset=shapes_600)
    assert result.failure is not None
    assert result.failure.kind == "internal"
    assert result.failure.message == "training failed: ValueError: a bug"
    assert "Traceback" in result.failure.details
    assert result.run_dir is not None
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["failure"]["kind"] == "internal"
    state = torch.load(result.run_dir / "last.state.pt", weights_only=True)
    assert state["position"]["epochs_done"] == 1
    monkeypatch.setattr(trainer_mod, "_plain_step", real)
    resumed = train(lenet, dataset=shapes_600, resume_from=result.run_dir)
    assert resumed.status == "completed"
    assert [r["epoch"] for r in resumed.history] == [1, 2]


def test_an_exception_in_a_callback_is_reported_not_raised(
    lenet: Project, shapes_600: Dataset
) -> None:
    class Raising(Failures):
        def on_epoch(self, metrics: object) -> None:
            raise KeyError("plot")

    seen = Raising()
    results: list[TrainingResult] = []
    worker = threading.Thread(target=lambda: results.append(train(lenet, seen, dataset=shapes_600)))
    worker.start()
    worker.join(60)
    (result,) = results
    assert result.failure is not None
    assert result.failure.kind == "callback"
    assert result.failure.message == "on_epoch callback failed: KeyError: 'plot'"
    assert seen.errors == [result.failure]


def test_a_failing_on_error_handler_does_not_hide_the_failure(
    lenet: Project, shapes_600: Dataset
) -> None:
    class Broken:
        def on_error(self, failure: TrainingFailure) -> None:
            raise RuntimeError("handler bug")

    result = train(lenet, Broken(), dataset=shapes_600, lr=-1)
    assert result.failure is not None
    assert result.failure.kind == "config"


def test_out_of_memory_names_the_batch_size(
    lenet: Project, shapes_600: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    def oom(*args: Any) -> Any:
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 8 GB")

    monkeypatch.setattr(trainer_mod, "_plain_step", oom)
    failure = _failed(lenet, dataset=shapes_600)
    assert failure.kind == "oom"
    estimate = estimate_for(lenet, training_config(lenet.training, batch_size=32, device="cpu"))
    assert failure.message.startswith(
        f"out of memory at batch size 32 on cpu (estimated {format_bytes(estimate.total)}, "
    )
    # LeNet-5's estimate leaves room for far more than 32, so the suggestion halves the batch.
    assert failure.message.endswith(
        " available) — try batch size 16 or use Find largest batch (Settings tab)"
    )


def test_out_of_memory_at_batch_one_says_no_batch_fits(
    lenet: Project, shapes_600: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    def oom(*args: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(trainer_mod, "_plain_step", oom)
    failure = _failed(lenet, dataset=shapes_600, batch_size=1)
    assert failure.kind == "oom"
    assert failure.message.startswith("out of memory at batch size 1 on cpu (estimated ")
    assert failure.message.endswith(
        "even a batch of 1 does not fit; use a smaller network or another device"
    )


def test_bad_setting_fails_with_its_key(lenet: Project, shapes_600: Dataset) -> None:
    failure = _failed(lenet, dataset=shapes_600, lr=-1)
    assert (failure.kind, failure.message) == ("config", "training.lr: must be > 0, got -1")


def test_missing_dataset_path_is_a_data_failure(lenet: Project) -> None:
    lenet.dataset = {"source": "npz", "path": "missing/data.npz"}
    failure = _failed(lenet)
    assert failure.kind == "data"
    assert "missing/data.npz" in failure.message


def test_output_that_does_not_match_the_classes(lenet: Project, shapes_600: Dataset) -> None:
    lenet.graph.set_params("fc3", {"out_features": 5})
    failure = _failed(lenet, dataset=shapes_600)
    assert failure.kind == "graph"
    assert failure.message == (
        "fc3 (Linear): 5 outputs but dataset 'shapes' has 10 classes — set out_features to 10"
    )


def test_invalid_graph(lenet: Project, shapes_600: Dataset) -> None:
    lenet.graph.disconnect(Edge("relu1", "pool1"))
    failure = _failed(lenet, dataset=shapes_600)
    assert failure.kind == "graph"
    assert failure.message.startswith("cannot train: ")


def test_dataset_images_that_do_not_fit_the_input(lenet: Project, shapes_600: Dataset) -> None:
    lenet.graph.set_params("input", {"shape": [1, 32, 32]})
    failure = _failed(lenet, dataset=shapes_600)
    assert failure.kind == "data"
    assert (
        failure.message == "the dataset's images are [1, 28, 28] but the Input expects [1, 32, 32]"
    )


def test_a_run_cannot_be_started_twice(lenet: Project, shapes_600: Dataset) -> None:
    trainer = trainer_mod.Trainer(lenet, dataset=shapes_600, epochs=1)
    trainer.run()
    with pytest.raises(RuntimeError, match="runs once"):
        trainer.run()
