"""pause / resume / stop from another thread, and resuming a run from its folder."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import safetensors.torch
import torch

from cnnstudio.core.project import Project
from cnnstudio.train.callbacks import (
    BatchProgress,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingResult,
)
from cnnstudio.train.capture import CaptureSettings
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.trainer import Trainer, train

WAIT_S = 30


class Steps:
    """Reports every batch (report_interval=0) and can hold the worker at a chosen step."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.steps: list[int] = []
        self.starts: list[int] = []
        self.epochs: list[int] = []
        self.reached = threading.Event()
        self.release = threading.Event()
        self.hold_at = hold_at
        self.worker: int | None = None

    def on_start(self, info: RunInfo) -> None:
        self.starts.append(info.start_epoch)

    def on_batches(self, progress: BatchProgress) -> None:
        self.worker = threading.get_ident()
        self.steps.append(progress.step)
        if progress.step == self.hold_at:
            self.reached.set()
            assert self.release.wait(WAIT_S)
        elif self.hold_at is None:
            self.reached.set()

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.epochs.append(metrics.epoch)


def _start(trainer: Trainer) -> tuple[threading.Thread, list[TrainingResult]]:
    results: list[TrainingResult] = []
    thread = threading.Thread(target=lambda: results.append(trainer.run()))
    thread.start()
    return thread, results


def test_stop_from_another_thread_takes_effect_before_the_next_batch(
    lenet: Project, shapes_600: Dataset
) -> None:
    steps = Steps(hold_at=5)
    trainer = Trainer(lenet, steps, dataset=shapes_600, report_interval=0)
    thread, results = _start(trainer)
    try:
        assert steps.reached.wait(WAIT_S)
        trainer.stop()
        assert trainer.stopping
    finally:
        steps.release.set()
        thread.join(WAIT_S)
    assert not thread.is_alive()
    assert steps.worker != threading.get_ident()
    (result,) = results
    assert result.status == "stopped"
    assert steps.steps[-1] == 5
    state = torch.load(result.run_dir / "last.state.pt", weights_only=True)  # type: ignore[operator]
    assert (state["position"]["epochs_done"], state["position"]["batch"]) == (0, 5)
    summary = json.loads((result.run_dir / "summary.json").read_text())  # type: ignore[operator]
    assert summary["status"] == "stopped"
    assert summary["stopped_at"] == {"epoch": 1, "batch": 5}


def test_pause_holds_the_worker_until_resume(lenet: Project, shapes_600: Dataset) -> None:
    steps = Steps()
    trainer = Trainer(lenet, steps, dataset=shapes_600, report_interval=0, epochs=1)
    thread, results = _start(trainer)
    try:
        assert steps.reached.wait(WAIT_S)
        trainer.pause()
        assert trainer.paused
        held = threading.Event()
        held.wait(0.3)  # the batch under way finishes
        count = len(steps.steps)
        held.wait(0.5)
        assert len(steps.steps) == count
        assert thread.is_alive()
        trainer.resume()
        assert not trainer.paused
        thread.join(WAIT_S)
    finally:
        trainer.stop()
        thread.join(WAIT_S)
    assert results[0].status == "completed"
    assert len(steps.steps) > count


def test_stop_while_paused_ends_the_run(lenet: Project, shapes_600: Dataset) -> None:
    steps = Steps()
    trainer = Trainer(lenet, steps, dataset=shapes_600, report_interval=0)
    thread, results = _start(trainer)
    assert steps.reached.wait(WAIT_S)
    trainer.pause()
    trainer.stop()
    thread.join(WAIT_S)
    assert not thread.is_alive()
    assert results[0].status == "stopped"


def test_capture_on_request_while_paused(lenet: Project, shapes_600: Dataset) -> None:
    steps = Steps()
    captured = threading.Event()
    samples: list[int] = []

    class Probe:
        def on_features(self, features: object) -> None:
            samples.append(features.sample)  # type: ignore[attr-defined]
            captured.set()

    trainer = Trainer(lenet, [steps, Probe()], dataset=shapes_600, report_interval=0)
    trainer.capture.every = 0
    thread, _ = _start(trainer)
    try:
        assert steps.reached.wait(WAIT_S)
        trainer.pause()
        trainer.capture.sample = 42
        trainer.request_capture()
        assert captured.wait(WAIT_S)
        assert samples == [42]
    finally:
        trainer.stop()
        thread.join(WAIT_S)


def _weights(result: TrainingResult) -> dict[str, torch.Tensor]:
    assert result.last_weights is not None
    return safetensors.torch.load_file(result.last_weights)


@pytest.mark.parametrize("stop_at", [7, 10])  # mid-epoch, and exactly at the end of epoch 1
def test_resume_after_stop_reproduces_the_uninterrupted_run(
    small: Project, augmented_shapes_600: Dataset, stop_at: int
) -> None:
    """Dropout and augmentation draw random numbers: only restored RNG state gives equal weights."""
    data = augmented_shapes_600
    straight = train(small, dataset=data, run_dir=small.base_dir / "straight")

    class StopAt:
        def __init__(self, trainer: Trainer) -> None:
            self.trainer = trainer

        def on_batches(self, progress: BatchProgress) -> None:
            if progress.step == stop_at:
                self.trainer.stop()

    trainer = Trainer(small, dataset=data, run_dir=small.base_dir / "split", report_interval=0)
    trainer.callbacks = type(trainer.callbacks)(StopAt(trainer))
    stopped = trainer.run()
    assert stopped.status == "stopped"
    steps = Steps()
    resumed = train(small, steps, dataset=data, resume_from=stopped.run_dir, report_interval=0)
    assert resumed.status == "completed", resumed.failure
    assert resumed.run_dir == stopped.run_dir
    assert steps.starts == [1 if stop_at < 10 else 2]
    assert steps.steps[0] == stop_at + 1
    assert [r["epoch"] for r in resumed.history] == [1, 2]
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.history[-1]["train_loss"] == pytest.approx(straight.history[-1]["train_loss"])
    lines = (resumed.run_dir / "metrics.jsonl").read_text().splitlines()  # type: ignore[operator]
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_resume_after_a_crash_drops_the_unfinished_epoch(
    lenet: Project, shapes_600: Dataset
) -> None:
    first = train(lenet, dataset=shapes_600, epochs=1)
    run = first.run_dir
    assert run is not None
    # A crash after writing epoch 2's row but before its checkpoint: the row must go.
    with open(run / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"epoch": 2, "train_loss": 9.0}) + "\n")
    resumed = train(lenet, dataset=shapes_600, resume_from=run, epochs=3)
    assert resumed.status == "completed", resumed.failure
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
    assert resumed.history[1]["train_loss"] != 9.0
    config = json.loads((run / "config.json").read_text())
    assert config["training"]["epochs"] == 3


def test_resume_refuses_a_changed_network(lenet: Project, shapes_600: Dataset) -> None:
    first = train(lenet, dataset=shapes_600, epochs=1)
    lenet.graph.set_params("fc1", {"out_features": 100})
    result = train(lenet, dataset=shapes_600, resume_from=first.run_dir, epochs=2)
    assert result.status == "failed"
    assert result.failure is not None
    assert result.failure.kind == "checkpoint"
    assert "network changed" in result.failure.message


def test_resume_refuses_a_different_batch_size(lenet: Project, shapes_600: Dataset) -> None:
    first = train(lenet, dataset=shapes_600, epochs=1)
    result = train(lenet, dataset=shapes_600, resume_from=first.run_dir, batch_size=8)
    assert result.failure is not None
    assert result.failure.message == (
        "training.batch_size: cannot be changed when resuming a run (it was 32)"
    )


def test_resume_from_a_folder_that_is_not_a_run(lenet: Project, tmp_path: Path) -> None:
    result = train(lenet, resume_from=tmp_path)
    assert result.failure is not None
    assert result.failure.kind == "checkpoint"
    assert "not a run folder" in result.failure.message


class PausedReports:
    """Batch reports and feature captures as they come."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []  # (epoch, batch) of each report
        self.captures: list[tuple[int, int]] = []
        self.captured = threading.Event()

    def on_batches(self, progress: BatchProgress) -> None:
        self.batches.append((progress.epoch, progress.batch))

    def on_features(self, features: Features) -> None:
        self.captures.append((features.epoch, features.batch))
        self.captured.set()


def test_a_paused_run_reports_progress_and_features_at_the_batch_it_paused(
    lenet: Project, shapes_600: Dataset
) -> None:
    """Reports are throttled (here to one a minute) and captures too (one an hour): a pause
    still shows progress and feature maps of the very batch it paused at, not older ones."""
    reports = PausedReports()
    capture = CaptureSettings(every=2, min_interval_s=3600.0)
    trainer = Trainer(lenet, reports, dataset=shapes_600, capture=capture, report_interval=60)
    thread, _ = _start(trainer)
    try:
        assert reports.captured.wait(WAIT_S)
        time.sleep(0.3)  # batches go on, none of them reported or captured
        trainer.pause()
        deadline = time.monotonic() + WAIT_S
        while len(reports.captures) < 2 or not reports.batches:
            assert time.monotonic() < deadline, (reports.batches, reports.captures)
            time.sleep(0.01)
        assert reports.batches[-1] == reports.captures[-1] != reports.captures[0]
    finally:
        trainer.stop()
        trainer.resume()
        thread.join(WAIT_S)
    assert not thread.is_alive()
