"""The commands: ``summary``, ``train``, ``export``, ``import``, ``runs``, ``diff``, ``lr-find``,
``predict``.

``cnnstudio.launcher`` picks editor or CLI.

Exit codes of every command: 0 success, 1 a valid file whose graph or run failed, 2 unreadable input
(``diff`` follows diff(1): 1 means the networks differ).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

# Command -> its module. Imported only to run a command: several import torch, and the launcher
# reads these names on every start of the editor, which must not pay for torch.
COMMANDS = {
    "summary": "summary",
    "train": "train",
    "export": "export",
    "import": "import_",
    "runs": "runs",
    "diff": "diff",
    "lr-find": "lr_find",
    "predict": "predict",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnstudio",
        description="Design, train and export convolutional networks. "
        "Run without a command to open the editor.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(f"cnnstudio.cli.{module}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (``cnnstudio-cli``; ``cnnstudio`` itself may open the editor instead)."""
    if argv is None:
        end_quietly_on_a_closed_pipe()
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    ns = parser.parse_args(args)
    if ns.command is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = ns.run(ns)
    return code


def end_quietly_on_a_closed_pipe() -> None:
    """``cnnstudio summary f | head`` ends quietly. Only for the program itself: in a caller's
    process (the Python API, tests) a closed pipe must stay an error it can handle, not a kill."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
