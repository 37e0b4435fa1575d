"""Errors a user can cause. Each carries a message fit to show as it is."""

from __future__ import annotations


class CnnStudioError(Exception):
    """Base of every error cnnstudio raises for bad input."""


class GraphError(CnnStudioError):
    """An edit that would make the graph inconsistent (unknown node, cycle, bad parameter...)."""


class ParamError(GraphError):
    """A bad parameter value; ``param`` names the parameter."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class ShapeError(CnnStudioError):
    """A block cannot accept the shapes it receives; the analyzer adds the node's name."""


class ProjectFileError(CnnStudioError):
    """A project file that cannot be read. ``path`` is the JSON path of the fault, if known."""

    def __init__(self, file: str, json_path: str, reason: str) -> None:
        self.file, self.json_path, self.reason = file, json_path, reason
        where = f" at {json_path}" if json_path else ""
        super().__init__(f"{file}{where}: {reason}")


def quote(value: object, limit: int = 60) -> str:
    """``repr`` of a user-given value for an error message: one line, at most ``limit`` characters.

    Files can hold megabyte strings or control characters; a message must stay one short line.
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
