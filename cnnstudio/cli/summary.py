"""``cnnstudio summary FILE [--json]``: per-node shapes, parameters and MACs, then the issues."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cnnstudio.cli.common import EXIT_INVALID, EXIT_OK, CliError, fail, human, open_project
from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.project import Project


def add_parser(sub: Any) -> None:
    p = sub.add_parser("summary", help="print the network's layers, shapes, parameters and MACs")
    p.add_argument("file", help="a .cnnstudio project file")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        project = open_project(ns.file)
    except CliError as exc:
        return fail(exc)
    analysis = analyze(project.graph)
    if ns.json:
        print(json.dumps(summary_dict(project, analysis)))
    else:
        print(summary_text(project, analysis))
    return EXIT_OK if analysis.valid else EXIT_INVALID


def summary_dict(project: Project, a: Analysis) -> dict[str, Any]:
    return {
        "name": project.name,
        "valid": a.valid,
        "total_params": a.total_params,
        "trainable_params": a.trainable_params,
        "macs": a.macs,
        "nodes": [
            {
                "id": n.id,
                "type": n.type,
                "output_shape": list(n.output_shape) if n.output_shape is not None else None,
                "params": n.params,
                "macs": n.macs,
            }
            for n in (a.nodes[i] for i in a.order)
        ],
        "errors": [{"node": i.node, "message": i.message} for i in a.errors],
    }


def summary_text(project: Project, a: Analysis) -> str:
    rows = [("Node", "Type", "Output shape", "Params", "MACs")]
    for node_id in a.order:
        n = a.nodes[node_id]
        shape = "x".join(map(str, n.output_shape)) if n.output_shape is not None else "?"
        mark = "" if n.in_model else "  (not in model)"
        rows.append((n.id + mark, n.type, shape, f"{n.params:,}", f"{n.macs:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]

    def line(r: tuple[str, ...]) -> str:
        left = "  ".join(r[i].ljust(widths[i]) for i in range(3))
        return left + "  " + "  ".join(r[i].rjust(widths[i]) for i in (3, 4))

    rule = "=" * len(line(rows[0]))
    out = [project.name, rule, line(rows[0]), "-" * len(rule)]
    out += [line(r) for r in rows[1:]]
    out += [
        rule,
        f"Total params:     {a.total_params:,} ({human(a.total_params)})",
        f"Trainable params: {a.trainable_params:,}",
        f"MACs per sample:  {a.macs:,} ({human(a.macs)})",
        f"Activations:      {a.memory / 1024**2:.2f} MiB per sample (float32)",
    ]
    if a.errors:
        out += ["", f"Errors ({len(a.errors)}):"] + [f"  - {i.message}" for i in a.errors]
    if a.warnings:
        out += ["", f"Warnings ({len(a.warnings)}):"] + [f"  - {i.message}" for i in a.warnings]
    if not a.issues:
        out += ["", "No issues: the network is ready to train."]
    return "\n".join(out)
