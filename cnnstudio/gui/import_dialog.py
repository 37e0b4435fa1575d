"""File > Import PyTorch Model…: a user's ``nn.Module`` opened as a new, editable project.

The dialog asks for the Python file, the class or function that builds the module, literal
keyword arguments and the input shape; the file is run as code (the dialog says so). The
import runs in a worker thread (the first one imports torch); the result opens as a new unsaved
project whose weights are the module's, kept beside the file once it is saved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.gui import theme
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.threads import back_to_gui_thread

WARNING = (
    "The file is run as Python code to build the module: import only code you trust. "
    "Nothing is ever run from a project file."
)


@dataclass(frozen=True)
class ImportRequest:
    file: Path
    name: str
    arguments: str  # "k=v, ..." of literals, or empty
    input_shape: tuple[int, ...] | None
    flat: bool = False  # every layer a block at the top, no groups for submodules

    @property
    def source(self) -> str:
        call = f"({self.arguments})" if self.arguments.strip() else ""
        return f"{self.file}:{self.name}{call}"


class ImportJob(QObject):
    """In a worker thread: import the module; ``project`` and ``weights`` or ``error`` are set
    once the thread has ended."""

    def __init__(self, request: ImportRequest, weights_folder: Path) -> None:
        super().__init__()
        self.request, self.weights_folder = request, weights_folder
        self.project: Project | None = None
        self.weights: Path | None = None
        self.error: str | None = None

    @Slot()
    def run(self) -> None:
        thread = QThread.currentThread()
        try:
            self.project, self.weights = self._import()
        except CnnStudioError as exc:
            self.error = str(exc)
        except Exception as exc:  # the user's code may raise anything: one line, never a crash
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            back_to_gui_thread(self)
            thread.quit()

    def _import(self) -> tuple[Project, Path]:
        from cnnstudio.torch_backend.importer import import_module
        from cnnstudio.torch_backend.module_source import load_module, parse_source
        from cnnstudio.train.checkpoint import save_weights

        loaded = load_module(parse_source(self.request.source))
        imported = import_module(
            loaded.module, self.request.input_shape or loaded.input_shape, flat=self.request.flat
        )
        self.weights_folder.mkdir(parents=True, exist_ok=True)
        weights = self.weights_folder / f"{uuid.uuid4().hex}.safetensors"
        save_weights(weights, imported.model)
        return Project(type(loaded.module).__name__, imported.graph), weights


def parse_shape(text: str) -> tuple[int, ...] | None:
    """``"3,32,32"`` -> (3, 32, 32); empty -> None (the module's own); else ValueError."""
    if not text.strip():
        return None
    shape = tuple(int(s) for s in text.replace("x", ",").split(","))
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise ValueError("give 1 to 3 positive sizes, like 3,32,32")
    return shape


class ImportDialog(QDialog):
    """Asks what to import; ``request()`` is the answer once accepted."""

    def __init__(self, start_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import PyTorch Model")
        self.file = QLineEdit()
        self.file.setObjectName("importFile")
        self.file.setPlaceholderText("my_model.py")
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(start_folder))
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        self.name = QLineEdit()
        self.name.setObjectName("importName")
        self.name.setPlaceholderText("Net  (an nn.Module class, or a function returning one)")
        self.arguments = QLineEdit()
        self.arguments.setObjectName("importArguments")
        self.arguments.setPlaceholderText("num_classes=10, width=32  (literals only; optional)")
        self.shape = QLineEdit()
        self.shape.setObjectName("importShape")
        self.shape.setPlaceholderText("3,32,32  (one sample; optional if the module reveals it)")
        self.flat = QCheckBox("Flat: every layer a block (no groups for your submodules)")
        self.flat.setObjectName("importFlat")
        self.flat.setToolTip(
            "Unchecked, each submodule of one of your classes (a BasicBlock) becomes a group of a "
            "definition named after the class"
        )
        form = QFormLayout()
        form.addRow("Python file", row)
        form.addRow("Class or function", self.name)
        form.addRow("Arguments", self.arguments)
        form.addRow("Input shape", self.shape)
        form.addRow("", self.flat)
        warning = QLabel(WARNING)
        warning.setWordWrap(True)
        warning.setStyleSheet(f"color: {theme.current_theme().warning};")
        self.problem = QLabel()
        self.problem.setObjectName("importProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.current_theme().error};")
        self.problem.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(warning)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def _browse(self, start: Path) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Python File with the Model", str(start), "Python files (*.py)"
        )
        if path:
            self.file.setText(path)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def request(self) -> ImportRequest:
        """What the fields ask for; ValueError names the field that is wrong."""
        file = Path(self.file.text().strip())
        if not file.is_file():
            raise ValueError(f"Python file: {file} does not exist")
        name = self.name.text().strip()
        if not name.isidentifier():
            raise ValueError("Class or function: give the name of a class or function in the file")
        try:
            shape = parse_shape(self.shape.text())
        except ValueError as exc:
            raise ValueError(f"Input shape: {exc}") from None
        return ImportRequest(
            file, name, self.arguments.text().strip(), shape, self.flat.isChecked()
        )

    def _accept(self) -> None:
        try:
            self.request()
        except ValueError as exc:
            self.show_problem(str(exc))
            return
        self.accept()


class ModelImporter(QObject):
    """Runs one import at a time for the window; ``imported(project, weights)`` or ``failed``."""

    imported = Signal(object, object)  # Project, Path of its weights
    failed = Signal(str)

    def __init__(self, weights_folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.weights_folder = weights_folder
        self._thread: QThread | None = None
        self._job: ImportJob | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, request: ImportRequest) -> bool:
        if self._thread is not None:
            return False
        job = ImportJob(request, self.weights_folder)
        thread = QThread()
        thread.setObjectName("importThread")
        job.moveToThread(thread)
        thread.started.connect(job.run)
        thread.finished.connect(self._finished)
        self._thread, self._job = thread, job
        gui_thread_collector().hold()  # the import thread allocates; see gui.gc_guard
        thread.start()
        return True

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until a running import has ended (the window is closing)."""
        return self._thread is None or self._thread.wait(timeout_ms)

    def _finished(self) -> None:
        thread, job = self._thread, self._job
        if thread is None or job is None:
            return
        thread.wait()
        self._thread = self._job = None
        gui_thread_collector().release()
        thread.deleteLater()
        job.deleteLater()
        if job.project is not None and job.weights is not None:
            self.imported.emit(job.project, job.weights)
        else:
            self.failed.emit(job.error or "the import failed")
