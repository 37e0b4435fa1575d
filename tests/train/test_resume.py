"""Which run may be continued and with what settings: the rules behind "Continue training"."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnstudio.core.project import Project
from cnnstudio.train.config import training_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.resume import (
    NO_RUN,
    epochs_done,
    kept_weights_choice,
    run_epochs_done,
    run_overrides,
    why_not_continue,
)
from cnnstudio.train.trainer import Trainer


@pytest.fixture
def finished_run(small: Project, shapes_600: Dataset) -> Path:
    result = Trainer(small, dataset=shapes_600, epochs=1).run()
    assert result.status == "completed", result.failure
    assert result.run_dir is not None
    return result.run_dir


def test_a_run_continues_while_only_resumable_settings_changed(
    small: Project, finished_run: Path
) -> None:
    assert why_not_continue(small, finished_run) is None
    small.training = {**(small.training or {}), "epochs": 7, "device": "cpu", "threads": 2}
    assert why_not_continue(small, finished_run) is None


def test_changed_settings_or_data_name_why_a_run_cannot_continue(
    small: Project, finished_run: Path, tmp_path: Path
) -> None:
    assert why_not_continue(small, None) == NO_RUN
    assert (
        why_not_continue(small, tmp_path / "gone")
        == f"the run folder {tmp_path / 'gone'} cannot be read"
    )
    small.training = {**(small.training or {}), "lr": 0.1, "batch_size": 8}
    assert why_not_continue(small, finished_run) == "lr, batch_size changed since that run"
    small.training = {**(small.training or {}), "lr": 0.003, "batch_size": 50}
    small.dataset = {**(small.dataset or {}), "num_samples": 700}
    assert why_not_continue(small, finished_run) == "the data settings changed since that run"


def test_epochs_done_prefers_the_run_that_ended_since_the_save(small: Project) -> None:
    assert epochs_done(small) == 0
    small.weights = {"file": "small.safetensors", "epoch": 4}
    assert epochs_done(small) == 4
    assert epochs_done(small, pending_epoch=9) == 9


def test_a_continued_run_trains_up_to_the_project_epochs_with_its_resumable_settings(
    small: Project,
) -> None:
    small.training = {
        "epochs": 3,
        "device": "cpu",
        "amp": "off",
        "early_stopping": {"patience": 2},
        "keep_weights": "last",
    }
    config = training_config(small.training)
    assert run_overrides(small, config, continuing=False) == {}
    assert run_overrides(small, config, continuing=True) == {
        "epochs": 3,  # the total, not 3 more
        "device": "cpu",
        "amp": "off",
        "early_stopping": {"patience": 2},
        "keep_weights": "last",
    }
    small.training = {"threads": 1}
    defaults = training_config({})
    assert run_overrides(small, training_config(small.training), continuing=True) == {
        "epochs": defaults.epochs,
        "device": defaults.device,
        "amp": defaults.amp,
        "early_stopping": False,
        "keep_weights": "best",
    }


def test_a_run_that_did_its_epochs_continues_once_epochs_is_raised(
    small: Project, shapes_600: Dataset
) -> None:
    """``training.epochs`` is the total: continuing trains up to it, as the trainer does."""
    result = Trainer(small, dataset=shapes_600).run()
    assert result.status == "completed", result.failure
    assert result.run_dir is not None
    assert run_epochs_done(result.run_dir) == 2
    assert why_not_continue(small, result.run_dir) == (
        "the run has done 2 epochs of the 2 set in Epochs (the total length of a run); "
        "raise Epochs above 2 to train on"
    )
    small.training = {**(small.training or {}), "epochs": 3}
    assert why_not_continue(small, result.run_dir) is None
    config = training_config(small.training)
    overrides = run_overrides(small, config, continuing=True)
    resumed = Trainer(small, dataset=shapes_600, resume_from=result.run_dir, **overrides).run()
    assert resumed.status == "completed", resumed.failure
    assert resumed.epochs_done == 3  # one more epoch, up to the total of 3
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
    assert run_epochs_done(result.run_dir) == 3


def test_the_kept_weights_are_the_best_epochs_unless_the_last_are_asked_for(
    small: Project, shapes_600: Dataset
) -> None:
    small.training = {**(small.training or {}), "epochs": 3, "lr": 0.5}  # unsteady on purpose
    result = Trainer(small, dataset=shapes_600).run()
    assert result.run_dir is not None
    assert result.best_epoch is not None
    best = result.kept_weights()
    assert best is not None
    assert (best.file, best.epoch) == (result.best_weights, result.best_epoch)
    assert best.val_accuracy == result.best_val_accuracy
    last = result.kept_weights("last")
    assert last is not None
    assert (last.file, last.epoch) == (result.last_weights, 3)
    assert last.val_accuracy == result.history[-1]["val_accuracy"]
    assert kept_weights_choice(small.training) == "best"
    assert kept_weights_choice({"keep_weights": "last"}) == "last"
    assert kept_weights_choice({"keep_weights": "newest"}) == "best"  # refused: the default
