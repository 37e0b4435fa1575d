"""``cnnstudio diff A B [--json]``: what changed in the architecture between two networks.

A and B are project files or run folders (a run's ``config.json`` holds the network it trained).
Exit codes follow diff(1): 0 identical, 1 different, 2 an input cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cnnstudio.cli.common import EXIT_INVALID, EXIT_OK, CliError, fail, open_project
from cnnstudio.core.diff import GraphDiff, diff_graphs, diff_lines
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import Project
from cnnstudio.train.run_history import run_project


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="compare the networks of two project files or run folders",
        description="Exit status: 0 identical, 1 different, 2 an input cannot be read.",
    )
    p.add_argument("old", help="a .cnnstudio project file or a run folder")
    p.add_argument("new", help="a .cnnstudio project file or a run folder")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a list")
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        old, new = open_network(ns.old), open_network(ns.new)
    except CliError as exc:
        return fail(exc)
    d = diff_graphs(old.graph, new.graph)
    if ns.json:
        print(json.dumps(d.to_dict()))
    else:
        print(diff_text(d, old.graph, new.graph, ns.old, ns.new))
    return EXIT_OK if d.identical else EXIT_INVALID


def open_network(path: str) -> Project:
    """A project file, or the project a run folder trained."""
    if Path(path).is_dir():
        try:
            return run_project(Path(path))
        except CnnStudioError as exc:
            raise CliError(str(exc)) from None
    return open_project(path)


def diff_text(d: GraphDiff, old: GraphModel, new: GraphModel, old_name: str, new_name: str) -> str:
    if d.identical:
        return f"{old_name} and {new_name}: the networks are identical"
    return "\n".join([f"--- {old_name}", f"+++ {new_name}", *diff_lines(d, old, new)])
