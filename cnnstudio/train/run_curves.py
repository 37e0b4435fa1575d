"""A run's per-epoch curves read back from its folder, for comparing runs and reopening a project.

``metrics.jsonl`` holds one row per finished epoch (the scalars, ``per_class_accuracy`` and
``confusion``); the arrays here are its columns in epoch order. ``CurvesCache`` keeps each run's
curves until its file changes, so selecting runs again in the runs panel reads nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.train.run_history import newest_first_key
from cnnstudio.train.runs import CONFIG, METRICS_JSONL, RunFolder

COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


@dataclasses.dataclass(frozen=True)
class RunCurves:
    """One run's epochs; accuracies are fractions as in the file, NaN where a row lacks one."""

    path: Path
    rows: tuple[dict[str, Any], ...]  # metrics.jsonl, one row per epoch, in epoch order
    epoch: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray

    @property
    def name(self) -> str:
        return self.path.name

    def __len__(self) -> int:
        return len(self.rows)


def read_curves(path: Path) -> RunCurves:
    """The curves of the run folder ``path``; a missing or torn file gives fewer (or no) rows."""
    by_epoch: dict[int, dict[str, Any]] = {}
    for row in RunFolder(path).read_metrics():
        epoch = row.get("epoch") if isinstance(row, dict) else None
        if isinstance(epoch, int) and not isinstance(epoch, bool):
            by_epoch[epoch] = row  # a resumed run rewrote the epochs it redid: the last counts
    rows = tuple(by_epoch[e] for e in sorted(by_epoch))
    columns = {name: np.array([_number(r.get(name)) for r in rows], np.float64) for name in COLUMNS}
    return RunCurves(path, rows, np.array(sorted(by_epoch), np.float64), **columns)


class CurvesCache:
    """Each run's curves, read again only when its ``metrics.jsonl`` changed (a live run)."""

    def __init__(self) -> None:
        self._curves: dict[Path, tuple[tuple[int, int], RunCurves]] = {}

    def get(self, path: Path) -> RunCurves:
        try:
            stat = os.stat(path / METRICS_JSONL)
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = (0, 0)
        cached = self._curves.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        curves = read_curves(path)
        self._curves[path] = (stamp, curves)
        return curves


@dataclasses.dataclass(frozen=True)
class EpochConfusion:
    """The confusion matrix of one epoch, as ``EpochMetrics`` has it."""

    epoch: int
    matrix: np.ndarray  # int64 [classes, classes]
    per_class_accuracy: np.ndarray  # float64, NaN for a class absent from validation


def last_confusion(curves: RunCurves) -> EpochConfusion | None:
    """The last epoch's confusion matrix, None where the row has none (or a damaged one)."""
    if not curves.rows:
        return None
    row = curves.rows[-1]
    try:
        matrix = np.array(row["confusion"], np.int64)
        per_class = np.array([_number(v) for v in row["per_class_accuracy"]], np.float64)
    except (KeyError, TypeError, ValueError):
        return None
    n = len(matrix)
    if matrix.shape != (n, n) or n == 0 or per_class.shape != (n,):
        return None
    return EpochConfusion(int(row["epoch"]), matrix, per_class)


def latest_run(folder: Path) -> Path | None:
    """The newest run folder under ``folder`` with at least one finished epoch, if any."""
    if not folder.is_dir():
        return None
    runs = [p for p in folder.iterdir() if (p / CONFIG).is_file()]
    for run in sorted(runs, key=lambda p: newest_first_key(p.name), reverse=True):
        if (run / METRICS_JSONL).is_file() and (run / METRICS_JSONL).stat().st_size > 0:
            return run
    return None


def run_class_names(path: Path) -> tuple[str, ...] | None:
    """The class names a run trained on (its ``config.json``), if it records them."""
    try:
        names = json.loads((path / CONFIG).read_text(encoding="utf-8"))["data"]["class_names"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return tuple(str(n) for n in names) if isinstance(names, list) else None


def _number(value: Any) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else float("nan")
