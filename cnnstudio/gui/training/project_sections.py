"""The project's ``dataset`` and ``training`` sections, edited as undo steps.

Choice documented for the issue: a settings change is an undoable command on the window's undo
stack (so Ctrl+Z reverts it, and the stack's clean state keeps meaning "saved"); typing in one
field merges into one step. Trained weights are a result, not an edit: adopting them marks the
document modified without an undo step (see ``trained_weights.py``).
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from cnnstudio.core.project import Project

SECTIONS = ("dataset", "training")
_MERGE_ID = 0x747261  # distinct from the graph commands' merge id


class SetSection(QUndoCommand):
    def __init__(
        self,
        sections: ProjectSections,
        name: str,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        text: str,
        merge_key: str | None,
    ) -> None:
        super().__init__(text)
        self.sections, self.name = sections, name
        self.old, self.new = copy.deepcopy(old), copy.deepcopy(new)
        self.merge_key = merge_key

    def redo(self) -> None:
        self.sections.apply(self.name, self.new)

    def undo(self) -> None:
        self.sections.apply(self.name, self.old)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSection) or other.merge_key != self.merge_key:
            return False
        if other.sections is not self.sections or other.name != self.name:
            return False
        self.new = copy.deepcopy(other.new)
        return True


class ProjectSections(QObject):
    """Reads and writes the sections of the window's current project."""

    changed = Signal(str)  # section name

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = Project()
        self.stack: QUndoStack | None = None

    def set_document(self, project: Project, stack: QUndoStack) -> None:
        self.project, self.stack = project, stack
        for name in SECTIONS:
            self.changed.emit(name)

    def get(self, name: str) -> dict[str, Any] | None:
        value = getattr(self.project, name)
        return copy.deepcopy(value) if value is not None else None

    def set(
        self, name: str, value: dict[str, Any] | None, text: str, merge_key: str | None = None
    ) -> None:
        """Make ``value`` the section ``name`` as one undo step (nothing if it is unchanged)."""
        old = getattr(self.project, name)
        if old == value:
            return
        command = SetSection(self, name, old, value, text, merge_key)
        if self.stack is None:
            command.redo()
        else:
            self.stack.push(command)

    def apply(self, name: str, value: dict[str, Any] | None) -> None:
        setattr(self.project, name, copy.deepcopy(value))
        self.changed.emit(name)
