"""Run curves read back from run folders: torn and redone rows, the per-run cache, the latest
run with epochs, and the last confusion matrix (damaged ones ignored)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.train.run_curves import (
    CurvesCache,
    last_confusion,
    latest_run,
    read_curves,
    run_class_names,
)


def _row(epoch: int, loss: float, accuracy: float | None = 0.5) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "train_loss": loss + 0.1,
        "train_accuracy": 0.4,
        "val_loss": loss,
        "val_accuracy": accuracy,
        "confusion": [[3, 1], [0, 4]],
        "per_class_accuracy": [0.75, None],
    }


def _run(folder: Path, name: str, rows: list[dict[str, Any]] | None, extra: str = "") -> Path:
    run = folder / name
    run.mkdir(parents=True)
    config = {"project": {}, "data": {"class_names": ["cat", "dog"]}}
    (run / "config.json").write_text(json.dumps(config))
    if rows is not None:
        text = "".join(json.dumps(r) + "\n" for r in rows) + extra
        (run / "metrics.jsonl").write_text(text)
    return run


def test_curves_are_the_file_columns_in_epoch_order(tmp_path: Path) -> None:
    rows = [_row(2, 0.8), _row(1, 1.0, None), _row(2, 0.7)]  # epoch 2 redone after a crash
    run = _run(tmp_path, "20250101-000000", rows, extra='{"epoch": 3, "val_lo')  # torn line
    curves = read_curves(run)
    assert (curves.name, len(curves)) == ("20250101-000000", 2)
    assert curves.epoch.tolist() == [1.0, 2.0]
    assert curves.val_loss.tolist() == [1.0, 0.7]
    assert np.allclose(curves.train_loss, [1.1, 0.8])
    assert math.isnan(curves.val_accuracy[0])
    assert curves.val_accuracy[1] == 0.5
    assert len(read_curves(tmp_path / "missing")) == 0


def test_the_cache_reads_a_run_again_only_when_its_metrics_change(tmp_path: Path) -> None:
    run = _run(tmp_path, "20250101-000000", [_row(1, 1.0)])
    cache = CurvesCache()
    first = cache.get(run)
    assert cache.get(run) is first
    with open(run / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(_row(2, 0.5)) + "\n")  # a live run's next epoch
    assert cache.get(run).epoch.tolist() == [1.0, 2.0]


def test_latest_run_is_the_newest_with_a_finished_epoch(tmp_path: Path) -> None:
    assert latest_run(tmp_path / "none") is None
    _run(tmp_path, "20250101-000000", [_row(1, 1.0)])
    same_second = _run(tmp_path, "20250101-000001-2", [_row(1, 1.0)])
    _run(tmp_path, "20250101-000001", [_row(1, 1.0)])
    _run(tmp_path, "20250101-000002", None)  # failed before its first epoch
    assert latest_run(tmp_path) == same_second


def test_last_confusion_and_class_names(tmp_path: Path) -> None:
    run = _run(tmp_path, "20250101-000000", [_row(1, 1.0), _row(2, 0.5)])
    confusion = last_confusion(read_curves(run))
    assert confusion is not None
    assert confusion.epoch == 2
    assert confusion.matrix.tolist() == [[3, 1], [0, 4]]
    assert confusion.matrix.dtype == np.int64
    assert confusion.per_class_accuracy[0] == 0.75
    assert math.isnan(confusion.per_class_accuracy[1])
    assert run_class_names(run) == ("cat", "dog")
    damaged = _run(tmp_path, "20250101-000001", [{**_row(1, 1.0), "confusion": [[1, 2], [3]]}])
    assert last_confusion(read_curves(damaged)) is None
    assert run_class_names(tmp_path / "missing") is None
