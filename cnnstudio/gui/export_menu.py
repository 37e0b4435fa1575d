"""File → Export: the network as PyTorch code, a training script, ONNX, TorchScript or pt2.

An export works on a snapshot of the document as it is now (unsaved edits included; nothing is
saved) and runs in a worker thread, because an ONNX conversion takes seconds. Its progress shows
in a modeless dialog. A conversion under way cannot be interrupted, so Cancel detaches the export:
it finishes in the background (its files are written whole or not at all, as always) and the
status bar says what it wrote. One export runs at a time; closing the window waits for it.

A network with errors is not exported: the actions stay enabled and, when triggered, list the
errors instead of asking for a file (a disabled menu entry could not say why it is disabled).
Trained weights that no longer fit the edited network are named in a question that offers to
export without them (seeded initial weights) instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.export import FORMATS, ExportError, ExportResult, export_project, stale_weights
from cnnstudio.gui.document import Document
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.threads import back_to_gui_thread

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

MAX_LISTED_ERRORS = 5
FOLDER_KEY = "export/folder"


@dataclass(frozen=True)
class Entry:
    """How one format of ``FORMATS`` appears in the menu."""

    action: str  # the action's object name
    title: str  # what the format is called in the menu and in messages
    file_hint: str  # shown after the title: the suffix, or the usual file name
    stem: str  # default file name before the suffix; {slug} is the project's name


ENTRIES: dict[str, Entry] = {
    "python": Entry("actionExportPython", "PyTorch code", ".py", "{slug}"),
    "script": Entry(
        "actionExportScript", "Training script for torchrun", "train.py", "train_{slug}"
    ),
    "onnx": Entry("actionExportOnnx", "ONNX", ".onnx", "{slug}"),
    "torchscript": Entry("actionExportTorchScript", "TorchScript", ".pt", "{slug}"),
    "pt2": Entry("actionExportPt2", "torch.export", ".pt2", "{slug}"),
}


def file_slug(name: str) -> str:
    """A project name as a file name that is also an importable Python module name."""
    slug = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")
    if not slug:
        return "model"
    return f"model_{slug}" if slug[0].isdigit() else slug


class _ExportJob(QObject):
    """Runs ``export_project`` in the worker thread; ``result`` or ``error`` is set when the
    thread has ended (read them only then)."""

    progress = Signal(str)

    def __init__(self, project: Project, fmt: str, target: Path, fresh_weights: bool) -> None:
        super().__init__()
        self.project, self.fmt, self.target = project, fmt, target
        self.fresh_weights = fresh_weights
        self.result: ExportResult | None = None
        self.error: str | None = None

    @Slot()
    def run(self) -> None:
        thread = QThread.currentThread()
        try:
            self.result = export_project(
                self.project,
                self.fmt,
                self.target,
                fresh_weights=self.fresh_weights,
                progress=self.progress.emit,
            )
        except ExportError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug; the user still gets one line, never a traceback
            self.error = f"export failed ({type(exc).__name__}: {exc}); please report this bug"
        finally:
            back_to_gui_thread(self)
            thread.quit()


class ExportMenu(QObject):
    """The File → Export submenu and the one export it may have running."""

    progress = Signal(str)  # the running export's messages, e.g. "weights: trained (run …)"
    finished = Signal()  # an export's thread has ended and its outcome has been shown

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("exportMenu")
        self.window = window
        self.document = window.document
        window.document_changed.connect(self.set_document)
        self.menu = QMenu("&Export", window)
        self.menu.setObjectName("menuExport")
        self.menu.setToolTipsVisible(True)
        self.format_actions: dict[str, QAction] = {}
        for name, fmt in FORMATS.items():
            entry = ENTRIES[name]
            action = self.menu.addAction(f"{entry.title} ({entry.file_hint})…")
            action.setObjectName(entry.action)
            action.setStatusTip(fmt.description[:1].upper() + fmt.description[1:])
            action.setToolTip(action.statusTip())
            action.triggered.connect(lambda _=False, n=name: self.export(n))
            self.format_actions[name] = action
        self.menu.addSeparator()
        self.fresh_weights = self.menu.addAction("Ignore &Trained Weights")
        self.fresh_weights.setObjectName("actionExportFreshWeights")
        self.fresh_weights.setCheckable(True)
        self.fresh_weights.setStatusTip(
            "Ignore the trained weights; export weights initialised from the training seed"
        )
        self.fresh_weights.setToolTip(self.fresh_weights.statusTip())
        self._thread: QThread | None = None
        self._job: _ExportJob | None = None
        self._dialog: QProgressDialog | None = None
        self._done_box: QMessageBox | None = None
        self._detached = False
        self._heading = ""
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def set_document(self, document: Document) -> None:
        self.document = document

    @property
    def running(self) -> bool:
        return self._thread is not None

    # ---- starting ---------------------------------------------------------------------------
    def export(self, fmt: str) -> bool:
        """Ask for the file and start exporting to it; False if nothing was started."""
        if self._refuse_invalid_graph():
            return False
        entry = ENTRIES[fmt]
        suffix = FORMATS[fmt].suffix
        start = self._start_folder() / (
            entry.stem.format(slug=file_slug(self.document.name)) + suffix
        )
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            f"Export as {entry.title}",
            str(start),
            f"{entry.title} (*{suffix});;All files (*)",
        )
        if not path:
            return False
        target = Path(path if path.endswith(suffix) else path + suffix)
        self.window.settings.set_value(FOLDER_KEY, str(target.parent))
        return self.start(fmt, target)

    def start(self, fmt: str, target: Path) -> bool:
        """Export the document as it is now to ``target`` in a worker thread."""
        if self.running:
            self.window.show_message("An export is running; wait for it to finish.")
            return False
        try:
            project = self.document.snapshot()
        except CnnStudioError as exc:
            QMessageBox.critical(self.window, "Cannot export", f"Problem: {exc}")
            return False
        fresh = self.fresh_weights.isChecked()
        if not fresh and project.weights:
            reason = stale_weights(project)
            if reason is not None:
                if not self._export_without_stale_weights(reason):
                    return False
                fresh = True
        job = _ExportJob(project, fmt, target, fresh)
        thread = QThread()
        thread.setObjectName("exportThread")
        job.moveToThread(thread)
        job.progress.connect(self._progress)
        thread.started.connect(job.run)
        thread.finished.connect(self._thread_finished)
        self._thread, self._job, self._detached = thread, job, False
        self._set_busy(True)
        self._heading = f"Exporting “{project.name}” as {ENTRIES[fmt].title}"
        self._show_progress()
        gui_thread_collector().hold()
        thread.start()
        return True

    def _export_without_stale_weights(self, reason: str) -> bool:
        """Ask whether to export with seeded initial weights instead of the stale trained ones."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Trained weights do not fit",
            "The network was edited after training, so its trained weights cannot be "
            f"exported with it:\n{reason}\n\nExport it with freshly initialised weights "
            "(seeded from the training seed) instead?",
            QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("staleWeightsQuestion")
        without = box.addButton("Export without weights", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        accepted = box.clickedButton() is without
        box.deleteLater()
        return accepted

    def _refuse_invalid_graph(self) -> bool:
        """Show the network's errors and return True if it has any."""
        errors = self.document.analysis.analysis.errors
        if not errors:
            return False
        listed = [f"• {issue.message}" for issue in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            listed.append(f"… and {len(errors) - MAX_LISTED_ERRORS} more (see Issues)")
        QMessageBox.critical(
            self.window,
            "Cannot export",
            "The network has errors; fix them before exporting:\n" + "\n".join(listed),
        )
        return True

    def _start_folder(self) -> Path:
        remembered = self.window.settings.value(FOLDER_KEY)
        if isinstance(remembered, str) and Path(remembered).is_dir():
            return Path(remembered)
        path = self.document.path
        return path.parent if path is not None else Path.home()

    # ---- while it runs ----------------------------------------------------------------------
    def _show_progress(self) -> None:
        dialog = QProgressDialog(f"{self._heading}…", "Cancel", 0, 0, self.window)
        dialog.setObjectName("exportProgress")
        dialog.setWindowTitle("Export")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self._dialog = dialog

    @Slot(str)
    def _progress(self, message: str) -> None:
        if self._dialog is not None:
            self._dialog.setLabelText(f"{self._heading}\n{message}")
        self.progress.emit(message)

    @Slot()
    def cancel(self) -> None:
        """Stop waiting for the export: it finishes in the background, reported in the status bar."""
        if not self.running or self._detached:
            return
        self._detached = True
        self._close_progress()
        self.window.show_message("Export cancelled; the step under way finishes in the background.")

    def _close_progress(self) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel)
            dialog.hide()
            dialog.deleteLater()

    def _set_busy(self, busy: bool) -> None:
        for action in (*self.format_actions.values(), self.fresh_weights):
            action.setEnabled(not busy)

    # ---- the end ----------------------------------------------------------------------------
    @Slot()
    def _thread_finished(self) -> None:
        thread, job = self._thread, self._job
        if thread is None or job is None:
            return
        thread.wait()
        gui_thread_collector().release()
        self._thread = self._job = None
        job.deleteLater()
        thread.deleteLater()
        self._close_progress()
        self._set_busy(False)
        if self._detached:
            self._report_in_status_bar(job)
        elif job.result is not None:
            self._report_done(job.project, job.result)
        else:
            QMessageBox.critical(
                self.window, "Cannot export", f"File: {job.target}\nProblem: {job.error}"
            )
        self.finished.emit()

    def _report_done(self, project: Project, result: ExportResult) -> None:
        """A non-blocking message naming the files and the weights."""
        files = "\n".join(f"  {path}" for path in result.files)
        text = (
            f"Exported “{project.name}” as {ENTRIES[result.format].title}.\n\n"
            f"Files written:\n{files}\n\nWeights: {result.weights}"
        )
        if self._done_box is not None:
            self._done_box.close()
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Export finished",
            text,
            QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setObjectName("exportFinished")
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(self._done_box_gone)
        box.show()
        self._done_box = box
        names = ", ".join(path.name for path in result.files)
        self.window.show_message(f"Exported {names} (weights: {result.weights})")

    def _done_box_gone(self) -> None:
        self._done_box = None

    def _report_in_status_bar(self, job: _ExportJob) -> None:
        if job.result is not None:
            names = ", ".join(path.name for path in job.result.files)
            self.window.show_message(f"The cancelled export finished anyway and wrote {names}.")
        else:
            self.window.show_message(f"The cancelled export wrote nothing: {job.error}")

    @Slot()
    def shutdown(self) -> None:
        """Wait for a running export (the window closes or the application quits); its outcome
        goes to the status bar only."""
        thread = self._thread
        if thread is None:
            return
        self._detached = True
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            thread.wait()
        finally:
            QGuiApplication.restoreOverrideCursor()
        QCoreApplication.sendPostedEvents(self)  # the last progress messages, and the end
        self._thread_finished()


def install_export_menu(window: MainWindow, file_menu: QMenu) -> ExportMenu:
    """Add File → Export to ``window``'s ``file_menu`` (after what it holds so far)."""
    exports = ExportMenu(window)
    file_menu.addSeparator()
    file_menu.addMenu(exports.menu)
    return exports
