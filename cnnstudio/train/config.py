"""The project's ``training`` section: defaults, validation and the resolved settings.

Every value a user can write is checked here, before any tensor exists, and a fault names its key
(``training.lr: must be > 0, got -1``) so the editor and the CLI can show it as it is.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from typing import Any, NoReturn

from cnnstudio.core.errors import CnnStudioError

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "one-cycle")
LOSSES = ("cross-entropy",)
DEVICES = ("auto", "cpu", "cuda", "mps")
AMP_MODES = ("auto", "off", "bf16", "fp16")
EARLY_STOPPING_METRICS = ("val_loss", "val_accuracy")
KEEP_WEIGHTS = ("best", "last")  # the weights a run leaves the project: its best or last epoch's
# Settings a resumed run may change; the others shape the state it resumes.
RESUMABLE_OVERRIDES = (
    "epochs",
    "device",
    "threads",
    "processes",
    "amp",
    "early_stopping",
    "keep_weights",
)


class ConfigError(CnnStudioError):
    """A bad training setting; ``key`` is its dotted path, e.g. ``training.lr``."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key


@dataclasses.dataclass(frozen=True)
class EarlyStopping:
    """Stop when ``metric`` has not improved by more than ``min_delta`` for ``patience`` epochs."""

    metric: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """Resolved training settings; ``device``, ``amp`` and ``threads`` may still read ``auto``."""

    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0  # 0.9 when the optimizer is SGD and momentum is not given
    nesterov: bool = False
    weight_decay: float = 0.0
    scheduler: str = "none"
    step_size: int = 10
    gamma: float = 0.1
    warmup_epochs: float = 0.0
    epochs: int = 10
    batch_size: int = 64
    loss: str = "cross-entropy"
    label_smoothing: float = 0.0
    early_stopping: EarlyStopping | None = None
    device: str = "auto"
    amp: str = "auto"
    seed: int = 0
    threads: int | str = "auto"
    processes: int = 1  # > 1: data-parallel under torchrun, each process a share of every batch
    keep_weights: str = "best"  # what the project keeps of a run: its best or its last epoch

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, every key present: what a run's config snapshot records."""
        return dataclasses.asdict(self)


_FIELDS = {f.name for f in dataclasses.fields(TrainingConfig)}
_ES_FIELDS = {f.name for f in dataclasses.fields(EarlyStopping)}


def training_config(
    section: Mapping[str, Any] | None = None, prefix: str = "training", **overrides: Any
) -> TrainingConfig:
    """Validate a ``training`` section (``None`` = all defaults) with ``overrides`` on top.

    Overrides whose value is ``None`` are ignored, so CLI options left unset fall through.
    """
    if section is not None and not isinstance(section, Mapping):
        raise ConfigError(prefix, f"must be an object, got {_show(section)}")
    merged = dict(section or {})
    merged.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(merged) - _FIELDS)
    if unknown:
        raise ConfigError(f"{prefix}.{unknown[0]}", _unknown(unknown[0], _FIELDS))
    default = TrainingConfig()
    r = _Reader(prefix, merged, default)
    config = TrainingConfig(
        optimizer=r.choice("optimizer", OPTIMIZERS),
        lr=r.number("lr", low=0.0, low_open=True),
        momentum=r.number("momentum", low=0.0, high=1.0, high_open=True, default=_momentum(merged)),
        nesterov=r.boolean("nesterov"),
        weight_decay=r.number("weight_decay", low=0.0),
        scheduler=r.choice("scheduler", SCHEDULERS),
        step_size=r.integer("step_size", low=1),
        gamma=r.number("gamma", low=0.0, low_open=True, high=1.0),
        warmup_epochs=r.number("warmup_epochs", low=0.0),
        epochs=r.integer("epochs", low=1),
        batch_size=r.integer("batch_size", low=1),
        loss=r.choice("loss", LOSSES),
        label_smoothing=r.number("label_smoothing", low=0.0, high=1.0, high_open=True),
        early_stopping=_early_stopping(f"{prefix}.early_stopping", merged.get("early_stopping")),
        device=r.choice("device", DEVICES),
        amp=r.choice("amp", AMP_MODES, aliases={True: "auto", False: "off"}),
        seed=r.integer("seed", low=0),
        threads=r.integer("threads", low=1, auto=True),
        processes=r.integer("processes", low=1),
        keep_weights=r.choice("keep_weights", KEEP_WEIGHTS),
    )
    if config.nesterov and (config.optimizer != "sgd" or config.momentum == 0):
        raise ConfigError(f"{prefix}.nesterov", "needs optimizer 'sgd' with momentum > 0")
    if config.warmup_epochs >= config.epochs and config.warmup_epochs > 0:
        raise ConfigError(
            f"{prefix}.warmup_epochs",
            f"must be less than epochs ({config.epochs}), got {_show(config.warmup_epochs)}",
        )
    return config


def _momentum(values: Mapping[str, Any]) -> float:
    """SGD is rarely useful without momentum; RMSprop with 0.9 often diverges at its usual lr."""
    return 0.9 if str(values.get("optimizer", "")).lower() == "sgd" else 0.0


def _early_stopping(key: str, value: Any) -> EarlyStopping | None:
    if value is None or value is False:
        return None
    if value is True:
        return EarlyStopping()
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"must be null, true or an object, got {_show(value)}")
    unknown = sorted(set(value) - _ES_FIELDS)
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", _unknown(unknown[0], _ES_FIELDS))
    r = _Reader(key, dict(value), EarlyStopping())
    return EarlyStopping(
        metric=r.choice("metric", EARLY_STOPPING_METRICS),
        patience=r.integer("patience", low=1),
        min_delta=r.number("min_delta", low=0.0),
    )


# Names other tools use for our settings, to suggest ours when a user writes theirs.
_SYNONYMS = {
    "learning_rate": "lr",
    "num_epochs": "epochs",
    "max_epochs": "epochs",
    "batch": "batch_size",
    "lr_scheduler": "scheduler",
    "schedule": "scheduler",
    "optim": "optimizer",
    "mixed_precision": "amp",
    "num_threads": "threads",
    "nproc_per_node": "processes",
    "world_size": "processes",
}


def _unknown(name: str, known: set[str]) -> str:
    synonym = _SYNONYMS.get(name.lower())
    close = [synonym] if synonym in known else difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(known))})"
    return f"unknown setting{hint}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Reader:
    """Reads one setting at a time from ``values``, falling back to ``default``'s attribute."""

    def __init__(self, prefix: str, values: dict[str, Any], default: Any) -> None:
        self.prefix, self.values, self.default = prefix, values, default

    def _get(self, name: str, default: Any = None) -> tuple[str, Any]:
        fallback = getattr(self.default, name) if default is None else default
        return f"{self.prefix}.{name}", self.values.get(name, fallback)

    def choice(
        self, name: str, options: tuple[str, ...], aliases: Mapping[Any, str] | None = None
    ) -> str:
        key, value = self._get(name)
        if aliases and isinstance(value, bool):
            return aliases[value]
        if isinstance(value, str) and value.lower() in options:
            return value.lower()
        self._fail(key, f"must be one of {', '.join(map(repr, options))}", value)

    def boolean(self, name: str) -> bool:
        key, value = self._get(name)
        if isinstance(value, bool):
            return value
        self._fail(key, "must be true or false", value)

    def number(
        self,
        name: str,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        default: float | None = None,
    ) -> float:
        key, value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._fail(key, "must be a number", value)
        if not math.isfinite(value):
            self._fail(key, "must be a finite number", value)
        self._bounds(key, value, low, high, low_open, high_open)
        return float(value)

    def integer(
        self, name: str, low: int | None = None, auto: bool = False
    ) -> Any:  # int, or "auto" where allowed
        key, value = self._get(name)
        if auto and value == "auto":
            return "auto"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            what = "an integer or 'auto'" if auto else "an integer"
            self._fail(key, f"must be {what}", value)
        self._bounds(key, value, low, None, False, False)
        return value

    def _bounds(
        self,
        key: str,
        value: float,
        low: float | None,
        high: float | None,
        low_open: bool,
        high_open: bool,
    ) -> None:
        if low is not None and (value <= low if low_open else value < low):
            self._fail(key, f"must be {'>' if low_open else '>='} {_show(low)}", value)
        if high is not None and (value >= high if high_open else value > high):
            self._fail(key, f"must be {'<' if high_open else '<='} {_show(high)}", value)

    @staticmethod
    def _fail(key: str, reason: str, value: Any) -> NoReturn:
        raise ConfigError(key, f"{reason}, got {_show(value)}")
