"""Run folders: ``<base>/<project-slug>/<timestamp>/`` with config, metrics and checkpoints.

A run folder is self-describing: ``config.json`` holds the resolved settings and the project as it
was trained (so a run can be resumed or inspected after the project changed), ``metrics.jsonl`` and
``metrics.csv`` one row per epoch, ``last.*``/``best.*`` the checkpoints, ``summary.json`` the end.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
import unicodedata
from pathlib import Path
from typing import Any

from cnnstudio.core.fileio import atomic_write_text
from cnnstudio.core.project import pretty_json

CONFIG = "config.json"
METRICS_JSONL = "metrics.jsonl"
METRICS_CSV = "metrics.csv"
SUMMARY = "summary.json"
LAST, BEST = "last", "best"
WEIGHTS_SUFFIX, STATE_SUFFIX = ".safetensors", ".state.pt"
CSV_COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "samples_per_s",
)


def slugify(name: str) -> str:
    """``LeNet-5 (tiny)`` -> ``lenet-5-tiny``: safe as a folder name on every system."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "untitled"


def new_run_dir(base: Path, project_name: str) -> Path:
    """Create a fresh, uniquely named run folder (two runs in one second get ``-2``, ``-3``...)."""
    parent = base / slugify(project_name)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for i in range(1, 1000):
        path = parent / (stamp if i == 1 else f"{stamp}-{i}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{parent}: too many runs started at {stamp}")


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class RunFolder:
    """Writes one run's files. Rows are appended; a resumed run first drops rows it will redo."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def file(self, name: str) -> Path:
        return self.path / name

    def weights(self, which: str) -> Path:
        return self.path / f"{which}{WEIGHTS_SUFFIX}"

    def state(self, which: str) -> Path:
        return self.path / f"{which}{STATE_SUFFIX}"

    def write_config(self, config: dict[str, Any]) -> None:
        atomic_write_text(self.file(CONFIG), pretty_json(json_safe(config)) + "\n")

    def read_config(self) -> dict[str, Any]:
        config: dict[str, Any] = json.loads(self.file(CONFIG).read_text(encoding="utf-8"))
        return config

    def append_metrics(self, row: dict[str, Any]) -> None:
        with open(self.file(METRICS_JSONL), "a", encoding="utf-8") as f:
            f.write(json.dumps(json_safe(row)) + "\n")
        csv_path = self.file(METRICS_CSV)
        new = not csv_path.exists()
        with open(csv_path, "a", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(CSV_COLUMNS)
            writer.writerow([_csv_cell(row.get(c)) for c in CSV_COLUMNS])

    def read_metrics(self) -> list[dict[str, Any]]:
        path = self.file(METRICS_JSONL)
        if not path.exists():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line torn by a crash mid-write
                continue
        return rows

    def truncate_metrics(self, epochs_done: int) -> list[dict[str, Any]]:
        """Keep rows of epochs up to ``epochs_done`` (a crash may have left later ones)."""
        rows = [r for r in self.read_metrics() if int(r.get("epoch", 0)) <= epochs_done]
        atomic_write_text(self.file(METRICS_JSONL), "".join(json.dumps(r) + "\n" for r in rows))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([_csv_cell(r.get(c)) for c in CSV_COLUMNS])
        atomic_write_text(self.file(METRICS_CSV), out.getvalue())
        return rows

    def write_summary(self, summary: dict[str, Any]) -> None:
        atomic_write_text(self.file(SUMMARY), pretty_json(json_safe(summary)) + "\n")


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value
