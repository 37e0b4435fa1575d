"""``cnnstudio import FILE.py:Name -o OUT.cnnstudio``: a PyTorch module as an editable project.

FILE.py is the user's own code and is executed to build the module. The project is written
with the module's weights beside it (``OUT.safetensors``, recorded in its ``weights`` section).
Exit codes: 0 written, 1 the module cannot be imported (every unsupported operation is listed),
2 bad arguments or an unreadable file. Nothing is written unless the import succeeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cnnstudio.cli.common import EXIT_INVALID, EXIT_OK, CliError, fail
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.importer import import_module
from cnnstudio.torch_backend.module_source import (
    ImportFailed,
    SourceError,
    load_module,
    parse_source,
)
from cnnstudio.train.checkpoint import load_weights_into, read_weights, save_weights
from cnnstudio.train.weights import attach_weights


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import a PyTorch nn.Module (runs the given file) as an editable project",
        description="Trace FILE.py:Name with torch.fx and write it as a project with its weights. "
        "FILE.py is executed: import only code you trust.",
    )
    p.add_argument(
        "source",
        metavar="FILE.py:Name",
        help="an nn.Module class or a function returning one; Name(k=v, ...) passes literals",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the .cnnstudio to write")
    p.add_argument(
        "--input-shape",
        type=parse_shape,
        metavar="C,H,W",
        help="one sample's shape (default: the file's INPUT_SHAPE, or a first Linear's inputs)",
    )
    p.add_argument(
        "--weights",
        metavar="FILE.safetensors",
        help="load these weights into the module first (its state_dict keys)",
    )
    p.add_argument("--name", help="the project's name (default: the module's name)")
    p.add_argument(
        "--flat",
        action="store_true",
        help="every layer as a block at the top (default: submodules of your classes as groups)",
    )
    p.set_defaults(run=run)


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 3,32,32") from None
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 to 3 positive sizes, like 3,32,32")
    return shape


def import_project(
    source: str,
    output: Path,
    input_shape: tuple[int, ...] | None = None,
    weights: Path | None = None,
    name: str | None = None,
    flat: bool = False,
) -> Project:
    """Import and write ``output`` with its weights beside it; raises CnnStudioError."""
    loaded = load_module(parse_source(source))
    if weights is not None:
        load_weights_into(loaded.module, read_weights(weights), str(weights))
    imported = import_module(loaded.module, input_shape or loaded.input_shape, flat=flat)
    project = Project(name or type(loaded.module).__name__, imported.graph, path=output)
    weights_file = output.with_suffix(".safetensors")
    save_weights(weights_file, imported.model)
    try:
        attach_weights(project, weights_file)
        project.save(output)
    except BaseException:
        weights_file.unlink(missing_ok=True)
        raise
    return project


def run(ns: argparse.Namespace) -> int:
    output = Path(ns.output)
    try:
        project = import_project(
            ns.source,
            output,
            ns.input_shape,
            Path(ns.weights) if ns.weights else None,
            ns.name,
            ns.flat,
        )
    except ImportFailed as exc:
        return fail(CliError(str(exc), EXIT_INVALID))
    except SourceError as exc:
        return fail(CliError(str(exc)))
    except CnnStudioError as exc:  # weights that do not load, an unwritable project
        return fail(CliError(str(exc), EXIT_INVALID))
    except OSError as exc:
        return fail(CliError(f"{output}: cannot write ({exc.strerror or exc})"))
    groups = len(project.graph.definitions)
    made = f", {groups} group definition{'s' * (groups != 1)}" if groups else ""
    print(f"imported {project.name}: {len(project.graph)} blocks{made}")
    print(f"wrote {output} and {output.with_suffix('.safetensors').name}")
    return EXIT_OK
