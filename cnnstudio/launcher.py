"""``cnnstudio``: with no command (or a project file) it opens the editor; else a CLI command.

The one place that knows both user interfaces, above the layers (``cli`` and ``gui`` never
import each other). A first argument that is neither a command nor a file is a mistyped
command: exit 2, no Qt.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence

from cnnstudio import cli
from cnnstudio.core.project import EXTENSION


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in cli.COMMANDS or args[0].startswith("-")):
        if argv is None:  # the program itself
            cli.end_quietly_on_a_closed_pipe()
        return cli.main(args)
    if args and not _names_a_file(args[0]):
        return _unknown_command(args[0])
    return _editor(args)


def _names_a_file(arg: str) -> bool:
    """An existing path, or one that looks like a path (the editor then says it is missing)."""
    return os.path.exists(arg) or arg.endswith(EXTENSION) or "/" in arg or os.sep in arg


def _unknown_command(word: str) -> int:
    """A mistyped command must not open the editor on a file of that name."""
    close = difflib.get_close_matches(word, cli.COMMANDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    print(f"cnnstudio: unknown command '{word}'{hint}", file=sys.stderr)
    return 2  # argparse's exit code for a bad command line


def _editor(args: list[str]) -> int:
    try:
        from cnnstudio.gui.app import run_app
    except ImportError as exc:
        print(f"cnnstudio: the editor cannot start: {exc}", file=sys.stderr)
        return 2
    return run_app(args[0] if args else None)
