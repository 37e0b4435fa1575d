"""The ``training`` section: defaults, and a message naming the key for every bad value."""

from __future__ import annotations

from typing import Any

import pytest

from cnnstudio.train.config import EarlyStopping, TrainingConfig, training_config


def test_missing_section_gives_documented_defaults() -> None:
    config = training_config(None)
    assert config == TrainingConfig()
    assert config.to_dict() == {
        "optimizer": "adam",
        "lr": 0.001,
        "momentum": 0.0,
        "nesterov": False,
        "weight_decay": 0.0,
        "scheduler": "none",
        "step_size": 10,
        "gamma": 0.1,
        "warmup_epochs": 0.0,
        "epochs": 10,
        "batch_size": 64,
        "loss": "cross-entropy",
        "label_smoothing": 0.0,
        "early_stopping": None,
        "device": "auto",
        "amp": "auto",
        "seed": 0,
        "threads": "auto",
        "processes": 1,
        "keep_weights": "best",
    }


def test_snapshot_reads_back_to_the_same_config() -> None:
    config = training_config(
        {"optimizer": "SGD", "nesterov": True, "early_stopping": {"metric": "val_accuracy"}}
    )
    assert training_config(config.to_dict()) == config


def test_momentum_defaults_to_0_9_for_sgd_only() -> None:
    assert training_config({"optimizer": "sgd"}).momentum == 0.9
    assert training_config({"optimizer": "rmsprop"}).momentum == 0.0
    assert training_config({"optimizer": "rmsprop", "momentum": 0.5}).momentum == 0.5


def test_overrides_win_and_none_overrides_are_ignored() -> None:
    config = training_config({"epochs": 5, "batch_size": 16}, epochs=2, batch_size=None)
    assert (config.epochs, config.batch_size) == (2, 16)


def test_early_stopping_forms() -> None:
    assert training_config({"early_stopping": True}).early_stopping == EarlyStopping()
    assert training_config({"early_stopping": False}).early_stopping is None
    rule = training_config({"early_stopping": {"metric": "val_accuracy", "patience": 2}})
    assert rule.early_stopping == EarlyStopping("val_accuracy", 2, 0.0)


def test_amp_accepts_booleans() -> None:
    assert training_config({"amp": True}).amp == "auto"
    assert training_config({"amp": False}).amp == "off"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"lr": -1}, "training.lr: must be > 0, got -1"),
        ({"lr": 0}, "training.lr: must be > 0, got 0"),
        ({"lr": "fast"}, "training.lr: must be a number, got 'fast'"),
        ({"lr": float("nan")}, "training.lr: must be a finite number, got nan"),
        ({"epochs": 0}, "training.epochs: must be >= 1, got 0"),
        ({"epochs": 2.5}, "training.epochs: must be an integer, got 2.5"),
        ({"epochs": True}, "training.epochs: must be an integer, got true"),
        ({"batch_size": None}, "training.batch_size: must be an integer, got null"),
        (
            {"optimizer": "lbfgs"},
            "training.optimizer: must be one of 'sgd', 'adam', 'adamw', 'rmsprop', got 'lbfgs'",
        ),
        (
            {"scheduler": "plateau"},
            "training.scheduler: must be one of 'none', 'step', 'cosine', 'one-cycle', got 'plateau'",
        ),
        ({"momentum": 1}, "training.momentum: must be < 1, got 1"),
        ({"gamma": 0}, "training.gamma: must be > 0, got 0"),
        ({"label_smoothing": 1.0}, "training.label_smoothing: must be < 1, got 1"),
        ({"weight_decay": -0.1}, "training.weight_decay: must be >= 0, got -0.1"),
        ({"threads": 0}, "training.threads: must be >= 1, got 0"),
        ({"threads": "many"}, "training.threads: must be an integer or 'auto', got 'many'"),
        ({"processes": 0}, "training.processes: must be >= 1, got 0"),
        ({"processes": "auto"}, "training.processes: must be an integer, got 'auto'"),
        ({"processes": 1.5}, "training.processes: must be an integer, got 1.5"),
        (
            {"nproc_per_node": 2},
            "training.nproc_per_node: unknown setting; did you mean 'processes'?",
        ),
        (
            {"device": "tpu"},
            "training.device: must be one of 'auto', 'cpu', 'cuda', 'mps', got 'tpu'",
        ),
        ({"amp": "fp8"}, "training.amp: must be one of 'auto', 'off', 'bf16', 'fp16', got 'fp8'"),
        (
            {"keep_weights": "first"},
            "training.keep_weights: must be one of 'best', 'last', got 'first'",
        ),
        ({"learning_rate": 0.1}, "training.learning_rate: unknown setting; did you mean 'lr'?"),
        ({"nesterov": True}, "training.nesterov: needs optimizer 'sgd' with momentum > 0"),
        (
            {"warmup_epochs": 3, "epochs": 3},
            "training.warmup_epochs: must be less than epochs (3), got 3",
        ),
        ({"early_stopping": 3}, "training.early_stopping: must be null, true or an object, got 3"),
        (
            {"early_stopping": {"metric": "loss"}},
            "training.early_stopping.metric: must be one of 'val_loss', 'val_accuracy', got 'loss'",
        ),
        (
            {"early_stopping": {"patience": 0}},
            "training.early_stopping.patience: must be >= 1, got 0",
        ),
        (
            {"early_stopping": {"patiense": 3}},
            "training.early_stopping.patiense: unknown setting; did you mean 'patience'?",
        ),
    ],
)
def test_bad_values_name_their_key(section: dict[str, Any], message: str) -> None:
    from cnnstudio.train.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        training_config(section)
    assert str(caught.value) == message
    assert caught.value.key == message.split(":")[0]


def test_a_section_that_is_not_an_object() -> None:
    from cnnstudio.train.config import ConfigError

    with pytest.raises(ConfigError, match=r"^training: must be an object, got \[1\]$"):
        training_config([1])  # type: ignore[arg-type]
