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
from cnnstudio.core.diff import GraphDiff, diff_graphs
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import Edge, GraphModel
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
    out = [f"--- {old_name}", f"+++ {new_name}"]
    out += [f"+ {n} ({new.node(n).type})" for n in d.added]
    out += [f"- {n} ({old.node(n).type})" for n in d.removed]
    for c in d.changed:
        what = [f"renamed from {c.renamed_from}"] if c.renamed_from else []
        what += [f"type {c.type[0]} -> {c.type[1]}"] if c.type else []
        what += [f"{k} {_value(a)} -> {_value(b)}" for k, (a, b) in c.params.items()]
        out.append(f"~ {c.node}: " + ", ".join(what))
    out += [f"+ wire {_edge(e)}" for e in d.edges_added]
    out += [f"- wire {_edge(e)}" for e in d.edges_removed]
    out.append(f"params {d.params_delta:+,}, MACs {d.macs_delta:+,}")
    return "\n".join(out)


def _edge(e: Edge) -> str:
    return f"{e.source} -> {e.target}:{e.target_port}"


def _value(v: Any) -> str:
    return "(unset)" if v is None else json.dumps(v)
