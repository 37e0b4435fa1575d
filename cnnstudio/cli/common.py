"""Helpers shared by CLI commands: loading a project with one-line errors, number formatting."""

from __future__ import annotations

import sys

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project, load_project

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


class CliError(Exception):
    """Ends a command with one line on stderr and the given exit code."""

    def __init__(self, message: str, code: int = EXIT_UNREADABLE) -> None:
        super().__init__(message)
        self.code = code


def open_project(path: str) -> Project:
    try:
        return load_project(path)
    except CnnStudioError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # a bug, but a user's file must never produce a traceback
        raise CliError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def fail(exc: CliError) -> int:
    print(f"cnnstudio: {exc}", file=sys.stderr)
    return exc.code


def human(n: float) -> str:
    """1234567 -> '1.23 M'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:g}"
