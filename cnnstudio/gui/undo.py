"""Qt undo stack entries for the Qt-free core commands, plus the read-only guard.

Every edit of the graph goes through ``record`` (``Document.push``): it does the core command at once (so a refused
edit leaves nothing on the stack and its message can go to the status bar) and then records it.
Views never change themselves; they follow the model's signals, in both directions of undo.

Read-only mode: ``guard.set_read_only("training is running")`` makes ``record`` refuse every
edit that changes the network, returning a message that names the reason. Moving nodes stays
allowed (it does not change the network). The document owns one guard that all its editors
share; its ``read_only_changed`` signal lets the window disable Undo/Redo and other editing
actions while it is set.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from cnnstudio.core.commands import Command, Move
from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import GraphModel

_MERGE_ID = 0x636E6E  # any command with a merge key; mergeWith compares the keys


class UndoCommand(QUndoCommand):
    """One undo step: one or more core commands (several after merging) on one graph."""

    def __init__(
        self, graph: GraphModel, command: Command, merge_key: str | None = None, done: bool = False
    ) -> None:
        super().__init__(command.text)
        self.graph = graph
        self.commands = [command]
        self.merge_key = merge_key
        self._skip_redo = done

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        for c in self.commands:
            c.do(self.graph)

    def undo(self) -> None:
        for c in reversed(self.commands):
            c.undo(self.graph)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Join consecutive steps with the same key (a burst of arrow-key nudges, typing)."""
        if not isinstance(other, UndoCommand) or other.merge_key != self.merge_key:
            return False
        if other.graph is not self.graph:
            return False
        self.commands.extend(other.commands)
        return True


class EditGuard(QObject):
    """Holds why the graph may not be edited right now (``None``: it may)."""

    read_only_changed = Signal(object)  # str | None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reason: str | None = None

    @property
    def reason(self) -> str | None:
        return self._reason

    def set_read_only(self, reason: str | None) -> None:
        if reason != self._reason:
            self._reason = reason
            self.read_only_changed.emit(reason)


def record(
    stack: QUndoStack,
    guard: EditGuard,
    graph: GraphModel,
    command: Command,
    merge_key: str | None = None,
) -> str | None:
    """Do ``command`` and record it; on refusal nothing changes and the message is returned.

    Consecutive records with the same ``merge_key`` become one undo step.
    """
    reason = guard.reason
    if reason is not None and not isinstance(command, Move):
        return f"The graph cannot be edited while {reason}."
    try:
        command.do(graph)
    except GraphError as exc:
        return str(exc)
    stack.push(UndoCommand(graph, command, merge_key, done=True))
    return None
