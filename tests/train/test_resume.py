"""Which run may be continued and with what settings: the rules behind "Continue training"."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnstudio.core.project import Project
from cnnstudio.train.config import training_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.resume import NO_RUN, epochs_done, run_overrides, why_not_continue
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


def test_a_continued_run_trains_the_project_epochs_more_with_its_resumable_settings(
    small: Project,
) -> None:
    small.training = {
        "epochs": 3,
        "device": "cpu",
        "amp": "off",
        "early_stopping": {"patience": 2},
    }
    config = training_config(small.training)
    assert run_overrides(small, config, None) == {}
    assert run_overrides(small, config, continue_after=5) == {
        "epochs": 8,
        "device": "cpu",
        "amp": "off",
        "early_stopping": {"patience": 2},
    }
    small.training = {"threads": 1}
    defaults = training_config({})
    assert run_overrides(small, training_config(small.training), 2) == {
        "epochs": 2 + defaults.epochs,
        "device": defaults.device,
        "amp": defaults.amp,
        "early_stopping": False,
    }
