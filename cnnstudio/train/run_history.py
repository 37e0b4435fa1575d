"""A project's run history: one record per run folder, for ``cnnstudio runs`` and the runs panel.

Listing reads only each folder's ``config.json`` and ``summary.json`` (never a checkpoint), and
analyses each distinct network once, so a project with hundreds of runs lists at once.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, TypeVar

from cnnstudio.core.analysis import analyze
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.fileio import atomic_write_text
from cnnstudio.core.project import Project
from cnnstudio.train.runs import CONFIG, SUMMARY, RunFolder, slugify

NOTE = "note.txt"
RUNS_FOLDER = "runs"
_T = TypeVar("_T")
CostCache = list[tuple[Any, tuple[int | None, int | None]]]  # (graph section, (params, MACs))
INCOMPLETE = "incomplete"  # no summary yet: still running, or the process was killed


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """What the runs list shows of one run; ``None`` where the run folder does not say."""

    path: Path
    started: str | None
    status: str
    epochs: int | None  # epochs done
    epochs_planned: int | None
    best_epoch: int | None
    best_val_accuracy: float | None
    last_val_accuracy: float | None
    val_loss: float | None
    params: int | None
    macs: int | None
    seconds: float | None
    samples_per_s: float | None
    optimizer: str | None
    lr: float | None
    batch_size: int | None
    scheduler: str | None
    note: str

    @property
    def run(self) -> str:
        return self.path.name

    def to_dict(self) -> dict[str, Any]:
        """One object of ``cnnstudio runs --json``."""
        out = dataclasses.asdict(self)
        out["path"] = str(self.path)
        return {"run": self.run, **out}


def project_runs_dir(project: Project, run_base: Path | None = None) -> Path:
    """Where the trainer puts this project's runs (``runs/<slug>`` beside the file by default)."""
    base = run_base if run_base is not None else project.base_dir / RUNS_FOLDER
    return base / slugify(project.name)


def list_runs(folder: Path) -> list[RunRecord]:
    """Every run folder under ``folder``, newest first; a missing folder has no runs."""
    if not folder.is_dir():
        return []
    costs: CostCache = []
    records = [
        read_run(p, costs) for p in folder.iterdir() if (p / CONFIG).is_file() and p.is_dir()
    ]
    records.sort(key=lambda r: newest_first_key(r.run), reverse=True)
    return records


def read_run(path: Path, costs: CostCache | None = None) -> RunRecord:
    """A run's record; a damaged file leaves its fields ``None`` rather than hiding the run.

    ``costs`` caches params and MACs by network, shared across the runs of one listing.
    """
    config = _read_json(path / CONFIG)
    summary = _read_json(path / SUMMARY)
    training = _dict(config.get("training"))
    final = _dict(summary.get("final"))
    metrics: list[dict[str, Any]] | None = None
    if not summary or "seconds" not in summary:  # no summary yet, or one of an older version
        metrics = RunFolder(path).read_metrics()
        final = final or (metrics[-1] if metrics else {})
    params, macs = _costs(_dict(config.get("project")), [] if costs is None else costs)
    return RunRecord(
        path=path,
        started=_of(config.get("created"), str),
        status=_of(summary.get("status"), str) or INCOMPLETE,
        epochs=_of(summary.get("epochs_done"), int)
        if summary
        else (len(metrics) if metrics is not None else None),
        epochs_planned=_of(training.get("epochs"), int),
        best_epoch=_of(summary.get("best_epoch"), int),
        best_val_accuracy=_number(summary.get("best_val_accuracy"))
        if summary
        else _best(metrics or []),
        last_val_accuracy=_number(final.get("val_accuracy")),
        val_loss=_number(final.get("val_loss")),
        params=params,
        macs=macs,
        seconds=_number(summary.get("seconds"))
        if metrics is None
        else sum(_number(r.get("seconds")) or 0.0 for r in metrics),
        samples_per_s=_number(final.get("samples_per_s")),
        optimizer=_of(training.get("optimizer"), str),
        lr=_number(training.get("lr")),
        batch_size=_of(training.get("batch_size"), int),
        scheduler=_of(training.get("scheduler"), str),
        note=read_note(path),
    )


def read_note(run: Path) -> str:
    try:
        return (run / NOTE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def write_note(run: Path, text: str) -> None:
    """Keep the user's note in the run folder (an empty note removes the file)."""
    text = text.strip()
    if text:
        atomic_write_text(run / NOTE, text + "\n")
    else:
        (run / NOTE).unlink(missing_ok=True)


def run_project(path: Path) -> Project:
    """The project exactly as a run trained it (its ``config.json``); raises CnnStudioError."""
    config = RunFolder(path).file(CONFIG)
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CnnStudioError(f"{config}: cannot read the run's configuration ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("project"), dict):
        raise CnnStudioError(f"{config}: not a run configuration (no 'project' object)")
    project = Project.from_dict(doc["project"], f"{config}: project")
    if isinstance(doc.get("project_file"), str):
        _anchor_paths(project, Path(doc["project_file"]).parent)
    return project


def _anchor_paths(project: Project, folder: Path) -> None:
    """Relative dataset and weights paths were relative to the project file that trained: made
    absolute, they still name the same files in a project opened elsewhere or not yet saved."""
    for section, key in ((project.dataset, "path"), (project.weights, "file")):
        if section is None:
            continue
        value = section.get(key)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            section[key] = str(folder / value)


def _costs(project: dict[str, Any], cache: CostCache) -> tuple[int | None, int | None]:
    """Params and MACs of the trained network, each distinct network analysed once."""
    graph = project.get("graph")
    for seen, costs in cache:  # a few distinct networks: comparing dicts beats hashing them
        if seen == graph:
            return costs
    try:
        a = analyze(Project.from_dict(project).graph)
        costs = (a.total_params, a.macs) if a.valid else (None, None)
    except CnnStudioError:
        costs = (None, None)
    cache.append((graph, costs))
    return costs


def newest_first_key(run: str) -> tuple[str, int]:
    """A run folder's name sorts by its time stamp, then the ``-2``, ``-3`` of runs started in
    the same second (reversed: newest first)."""
    parts = run.split("-")
    if len(parts) == 3 and parts[2].isdigit():
        return "-".join(parts[:2]), int(parts[2])
    return run, 1


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _of(value: Any, kind: type[_T]) -> _T | None:
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _best(rows: list[dict[str, Any]]) -> float | None:
    accuracies = [a for a in (_number(r.get("val_accuracy")) for r in rows) if a is not None]
    return max(accuracies) if accuracies else None
