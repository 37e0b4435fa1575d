"""``cnnstudio runs FILE [--json]``: the project's runs, newest first (the runs panel's columns)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cnnstudio.cli.common import EXIT_OK, CliError, fail, human, open_project
from cnnstudio.train.run_history import RunRecord, list_runs, project_runs_dir

COLUMNS = (
    "Run",
    "Status",
    "Epochs",
    "Best acc",
    "Last acc",
    "Val loss",
    "Params",
    "MACs",
    "Time",
    "Samples/s",
    "Optimizer",
    "Note",
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("runs", help="list the project's training runs, newest first")
    p.add_argument("file", help="a .cnnstudio project file (its runs are in runs/ beside it)")
    p.add_argument("--json", action="store_true", help="print one JSON object per run")
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        project = open_project(ns.file)
    except CliError as exc:
        return fail(exc)
    folder = project_runs_dir(project)
    records = list_runs(folder)
    if ns.json:
        for r in records:
            print(json.dumps(r.to_dict()))
    elif not records:
        print(f"no runs in {folder}")
    else:
        print(runs_text(records))
    return EXIT_OK


def runs_text(records: list[RunRecord]) -> str:
    rows = [COLUMNS] + [_row(r) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _row(r: RunRecord) -> tuple[str, ...]:
    epochs = "?" if r.epochs is None else str(r.epochs)
    if r.epochs_planned is not None:
        epochs += f"/{r.epochs_planned}"
    settings = f"{r.optimizer or '?'} lr={_num(r.lr)} bs={r.batch_size or '?'} {r.scheduler or ''}"
    return (
        (r.started or r.run).replace("T", " ")[:19],
        r.status,
        epochs,
        _pct(r.best_val_accuracy),
        _pct(r.last_val_accuracy),
        _num(r.val_loss, 4),
        "?" if r.params is None else human(r.params),
        "?" if r.macs is None else human(r.macs),
        "?" if r.seconds is None else f"{r.seconds:.1f} s",
        "?" if r.samples_per_s is None else f"{r.samples_per_s:,.0f}",
        settings.strip(),
        r.note.replace("\n", " "),
    )


def _pct(v: float | None) -> str:
    return "?" if v is None else f"{100 * v:.2f} %"


def _num(v: float | None, digits: int = 3) -> str:
    return "?" if v is None else f"{v:.{digits}g}"
