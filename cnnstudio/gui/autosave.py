"""Autosave of the open document to a recovery file, and the offer to restore after a crash.

The ``Autosaver`` writes only to this session's slot in ``<data dir>/recovery`` (never to the
user's file), a set time after an edit, and removes it once nothing is left unsaved (a save, an
undo back to the saved state, a clean close). ``ask_recovery`` runs at start: it lists what
crashed sessions left behind and lets the user restore or discard each.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.recovery import (
    CorruptRecovery,
    RecoveredProject,
    RecoverySlot,
    recovery_dir,
    scan,
)
from cnnstudio.gui.document import Document


class Autosaver(QObject):
    """``Autosaver(data_dir, interval_s)``: follows one document at a time (``set_document``)."""

    failed = Signal(str)  # why an autosave could not be written

    def __init__(self, data_dir: Path, interval_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.slot = RecoverySlot(recovery_dir(data_dir))
        self._document: Document | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)  # started by an edit: nothing runs while nothing changes
        self._timer.setInterval(round(interval_s * 1000))
        self._timer.timeout.connect(self.save_now)
        self._enabled = interval_s > 0

    def set_document(self, document: Document) -> None:
        """Follow ``document``. The one before was saved or its changes discarded (the window
        asked), so its autosave has nothing left to keep."""
        self._timer.stop()
        self._remove()
        self._document = document
        for signal in (
            document.history_changed,
            document.modified_changed,
            document.weights_changed,
        ):
            signal.connect(self._changed)
        document.saved.connect(self._saved)

    def _changed(self) -> None:
        if self._enabled and not self._timer.isActive():
            self._timer.start()

    def save_now(self) -> None:
        """Write the document's unsaved state, or remove the file if nothing is unsaved."""
        self._timer.stop()
        document = self._document
        if document is None:
            return
        try:
            if document.modified:
                self.slot.write(document.snapshot())
            else:
                self.slot.remove()
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.failed.emit(f"Autosave failed: {self.slot.path}: {reason}")

    def _saved(self) -> None:
        self._timer.stop()
        self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):  # a stale file is offered at the next start: harmless
            self.slot.remove()

    def close(self) -> None:
        """A clean close: the recovery file and the session's lock go."""
        self._timer.stop()
        with contextlib.suppress(OSError):
            self.slot.close()


def _local_time(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _plain(text: str) -> QLabel:
    """A label for names and paths from files: shown as typed, never read as rich text."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class RecoveryDialog(QDialog):
    """The projects crashed sessions left unsaved, each to restore or discard, and the damaged
    recovery files that were set aside. Closing it leaves the undecided ones for the next start."""

    def __init__(
        self,
        found: list[RecoveredProject],
        corrupt: list[CorruptRecovery],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle("Recover Unsaved Projects")
        self.entries = found
        self.restored: list[RecoveredProject] = []  # in the order the user chose them
        self._undecided = set(range(len(found)))
        layout = QVBoxLayout(self)
        self.rows: list[tuple[QPushButton, QPushButton]] = []
        if found:
            layout.addWidget(
                QLabel(
                    "cnnstudio did not close properly. These projects had unsaved changes "
                    "when they were last autosaved:"
                )
            )
            grid = QGridLayout()
            for column, title in enumerate(("Project", "Autosaved", "File")):
                grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
            for row, entry in enumerate(found, start=1):
                file = str(entry.file) if entry.file is not None else "never saved"
                restore, discard = QPushButton("Restore"), QPushButton("Discard")
                restore.clicked.connect(lambda _=False, e=entry: self._decide(e, restore=True))
                discard.clicked.connect(lambda _=False, e=entry: self._decide(e, restore=False))
                cells = (_plain(entry.name), _plain(_local_time(entry.saved_at)), _plain(file))
                for column, widget in enumerate((*cells, restore, discard)):
                    grid.addWidget(widget, row, column)
                self.rows.append((restore, discard))
            layout.addLayout(grid)
        if corrupt:
            lines = "\n".join(f"File: {c.set_aside}\nProblem: {c.reason}" for c in corrupt)
            self.corrupt_label = _plain(
                "These autosaves are damaged and cannot be restored; they were set aside "
                f"(renamed to *.corrupt) and are not offered again:\n{lines}"
            )
            self.corrupt_label.setObjectName("corruptRecoveries")
            layout.addWidget(self.corrupt_label)
        buttons = QDialogButtonBox()
        if found:
            role = QDialogButtonBox.ButtonRole
            restore_all = buttons.addButton("Restore All", role.ApplyRole)
            discard_all = buttons.addButton("Discard All", role.DestructiveRole)
            restore_all.clicked.connect(lambda: self._decide_all(restore=True))
            discard_all.clicked.connect(lambda: self._decide_all(restore=False))
        later = "Decide Later" if found else "Close"
        buttons.addButton(later, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _decide(self, entry: RecoveredProject, restore: bool) -> None:
        """Restore (the window deletes the file once its own autosave holds it) or delete now."""
        index = self.entries.index(entry)
        if index not in self._undecided:
            return
        self._undecided.remove(index)
        for button in self.rows[index]:
            button.setEnabled(False)
        if restore:
            self.restored.append(entry)
        else:
            entry.discard()
        if not self._undecided:
            self.accept()

    def _decide_all(self, restore: bool) -> None:
        for index in sorted(self._undecided):
            self._decide(self.entries[index], restore)


def ask_recovery(parent: QWidget, data_dir: Path) -> list[RecoveredProject]:
    """At start: offer what crashed sessions left in ``data_dir``; the projects to restore."""
    found, corrupt = scan(recovery_dir(data_dir))
    if not found and not corrupt:
        return []
    dialog = RecoveryDialog(found, corrupt, parent)
    dialog.exec()
    dialog.deleteLater()
    return dialog.restored
