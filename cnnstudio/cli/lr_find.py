"""``cnnstudio lr-find FILE [--json]``: the learning-rate range test on the project's network.

Exit codes: 0 a suggestion, 1 a valid file whose graph cannot train or whose loss gave no
suggestion, 2 unreadable input (the project, its training settings or its dataset).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cnnstudio.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    fail,
    open_project,
)
from cnnstudio.train.config import ConfigError
from cnnstudio.train.data.errors import DatasetError
from cnnstudio.train.faults import TrainingError
from cnnstudio.train.lr_find import LrFinding, find_lr


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "lr-find",
        help="suggest a learning rate by the range test (the project is not changed)",
        description="Trains a throw-away copy of the network for at most one epoch while the "
        "learning rate grows exponentially, and suggests the lr where the smoothed loss falls "
        "fastest.",
    )
    p.add_argument("file", help="a .cnnstudio project file")
    p.add_argument("--json", action="store_true", help="print one JSON object with the curve")
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        project = open_project(ns.file)
        finding = find_lr(project)
    except CliError as exc:
        return fail(exc)
    except (ConfigError, DatasetError) as exc:
        return fail(CliError(f"{ns.file}: {exc}", EXIT_UNREADABLE))
    except TrainingError as exc:
        return fail(CliError(f"{ns.file}: {exc}", EXIT_INVALID))
    if ns.json:
        print(json.dumps(finding.to_dict()))
    else:
        print(finding_text(finding))
    return EXIT_OK if finding.suggested_lr is not None else EXIT_INVALID


def finding_text(f: LrFinding) -> str:
    tried = f"{len(f.lrs)} steps, lr {f.lrs[0]:.3g} to {f.lrs[-1]:.3g}" if f.lrs else "no step"
    if f.suggested_lr is None:
        return f"no suggestion: the loss curve is too short or never fell ({tried})"
    return f"suggested lr: {f.suggested_lr:.3g} (steepest fall of the smoothed loss; {tried})"
