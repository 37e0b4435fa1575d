"""``cnnstudio``: with no command (or a project file) it opens the editor; else a CLI command.

A first argument that is neither a command nor a file is a mistyped command: exit 2, no Qt.

Exit codes of every command: 0 success, 1 a valid file whose graph or run failed, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
from collections.abc import Sequence

from cnnstudio.cli import export, summary, train
from cnnstudio.core.project import EXTENSION

COMMANDS = {"summary": summary, "train": train, "export": export}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnstudio",
        description="Design, train and export convolutional networks. "
        "Run without a command to open the editor.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] not in COMMANDS and not args[0].startswith("-")):
        if args and not _names_a_file(args[0]):
            return _unknown_command(args[0])
        return _gui(args)
    if hasattr(signal, "SIGPIPE"):  # `cnnstudio summary f | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    ns = parser.parse_args(args)
    code: int = ns.run(ns)
    return code


def _names_a_file(arg: str) -> bool:
    """An existing path, or one that looks like a path (the editor then says it is missing)."""
    return os.path.exists(arg) or arg.endswith(EXTENSION) or "/" in arg or os.sep in arg


def _unknown_command(word: str) -> int:
    """A mistyped command must not open the editor on a file of that name."""
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    print(f"cnnstudio: unknown command '{word}'{hint}", file=sys.stderr)
    return 2  # argparse's exit code for a bad command line


def _gui(args: list[str]) -> int:
    try:
        from cnnstudio.gui.app import run_app
    except ImportError as exc:
        print(f"cnnstudio: the editor cannot start: {exc}", file=sys.stderr)
        return 2
    return run_app(args[0] if args else None)
