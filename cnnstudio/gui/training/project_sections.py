"""The undo step that replaces a project's ``dataset`` or ``training`` section.

Choice documented for the issue: a settings change is an undoable command on the document's
undo stack (so Ctrl+Z reverts it, and the stack's clean state keeps meaning "saved"); typing in
one field merges into one step. Trained weights are a result, not an edit: adopting them marks
the document modified without an undo step (``Document.adopt_run``).
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

SECTIONS = ("dataset", "training")
_MERGE_ID = 0x747261  # distinct from the graph commands' merge id


class _Sections(Protocol):
    def apply_section(self, name: str, value: dict[str, Any] | None) -> None: ...


class SetSection(QUndoCommand):
    def __init__(
        self,
        sections: _Sections,
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
        self.sections.apply_section(self.name, self.new)

    def undo(self) -> None:
        self.sections.apply_section(self.name, self.old)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSection) or other.merge_key != self.merge_key:
            return False
        if other.sections is not self.sections or other.name != self.name:
            return False
        self.new = copy.deepcopy(other.new)
        return True
