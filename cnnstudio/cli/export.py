"""``cnnstudio export FILE --format F -o OUT``: PyTorch code, a training script, ONNX, TorchScript
or a torch.export program, with the project's trained weights (or seeded fresh ones).

Progress goes to stdout; a failure is one line on stderr. Exit codes: 0 written, 1 the export
failed (invalid graph, a block the format cannot express, a missing package, an unwritable
path), 2 the project file cannot be read. A failed export leaves no file behind.
"""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.common import EXIT_INVALID, EXIT_OK, CliError, fail, open_project
from cnnstudio.export import FORMATS, ExportError, StaleWeightsError, export_project


def add_parser(sub: Any) -> None:
    formats = "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())
    p = sub.add_parser(
        "export",
        help="export the network as PyTorch code, a training script, ONNX, TorchScript or pt2",
        description=f"Formats — {formats}.",
    )
    p.add_argument("file", help="a .cnnstudio project file")
    p.add_argument("-f", "--format", required=True, choices=list(FORMATS), help="what to write")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="the file to write; python and script also write OUT's .safetensors weights",
    )
    p.add_argument(
        "--fresh-weights",
        action="store_true",
        help="ignore the project's trained weights; use weights seeded from training.seed",
    )
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        project = open_project(ns.file)
    except CliError as exc:
        return fail(exc)
    try:
        export_project(
            project,
            ns.format,
            ns.output,
            fresh_weights=ns.fresh_weights,
            progress=lambda message: print(message, flush=True),
        )
    except StaleWeightsError as exc:
        hint = "add --fresh-weights to export the edited network with seeded initial weights"
        return fail(CliError(f"{ns.file}: {exc}; {hint}", EXIT_INVALID))
    except ExportError as exc:
        return fail(CliError(f"{ns.file}: {exc}", EXIT_INVALID))
    except Exception as exc:  # a bug; still one line, never a traceback for the user
        message = f"{ns.file}: export failed ({type(exc).__name__}: {exc}); please report this bug"
        return fail(CliError(message, EXIT_INVALID))
    return EXIT_OK
