"""The training settings form, generated from the trainer's ``TrainingConfig``.

Each field of the dataclass gets an editor chosen by its type (choice, number, flag, the early
stopping group); a change is validated by the trainer's own ``training_config`` before it is
written to the project as an undo step, so the form accepts exactly what a run accepts, and a
refusal shows the trainer's message, naming the setting.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.analysis import Analysis
from cnnstudio.core.memory import MemoryEstimate, format_bytes
from cnnstudio.core.project import Project
from cnnstudio.gui import theme
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.threads import back_to_gui_thread
from cnnstudio.gui.training.lr_finder import LrFinderDialog
from cnnstudio.gui.wheel_guard import wheel_when_focused
from cnnstudio.train.config import (
    AMP_MODES,
    EARLY_STOPPING_METRICS,
    KEEP_WEIGHTS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULERS,
    ConfigError,
    EarlyStopping,
    TrainingConfig,
    training_config,
)
from cnnstudio.train.hardware import available_bytes, available_devices, resolve_device_name
from cnnstudio.train.memory import Probe, ProbeCancelled, estimate_for, find_largest_batch

INT_MAX = 1_000_000_000
CHOICES: dict[str, tuple[str, ...]] = {
    "optimizer": OPTIMIZERS,
    "scheduler": SCHEDULERS,
    "loss": LOSSES,
    "amp": AMP_MODES,
    "metric": EARLY_STOPPING_METRICS,
    "keep_weights": KEEP_WEIGHTS,
}
GROUPS: dict[str, tuple[str, ...]] = {
    "Optimiser": ("optimizer", "lr", "momentum", "nesterov", "weight_decay"),
    "Schedule": ("scheduler", "warmup_epochs", "step_size", "gamma"),
    "Run": ("epochs", "batch_size", "seed", "loss", "label_smoothing", "keep_weights"),
    "Hardware": ("device", "amp", "threads", "processes"),
}
LABELS = {
    "lr": "Learning rate",
    "weight_decay": "Weight decay",
    "warmup_epochs": "Warm-up epochs",
    "step_size": "Step every (epochs)",
    "gamma": "Step factor",
    "batch_size": "Batch size",
    "label_smoothing": "Label smoothing",
    "amp": "Mixed precision",
    "min_delta": "Min. improvement",
    "keep_weights": "Keep weights of",
}
HELP = {
    "lr": "Step size of the optimiser; too high and the loss diverges (NaN)",
    "momentum": "SGD/RMSprop momentum (0.9 by default for SGD)",
    "warmup_epochs": "Raise the learning rate linearly from zero over this many epochs",
    "step_size": "With the 'step' schedule: multiply the rate by the factor every N epochs",
    "epochs": "Passes over the training images in all: continuing a run trains up to this many",
    "keep_weights": "Which epoch's weights the project keeps after a run or a Stop: the best "
    "(highest validation accuracy) or the last",
    "batch_size": "Images per optimiser step",
    "seed": "Same seed, same network and data order: runs can be repeated exactly",
    "device": "Only devices this machine has are offered",
    "amp": "Lower-precision arithmetic on GPUs ('auto': bf16 or fp16 on CUDA, off elsewhere)",
    "threads": "CPU threads of the training process ('auto': every core)",
    "processes": "Above 1: data-parallel training in that many processes (torchrun)",
    "early_stopping": "Stop when the metric has not improved for 'patience' epochs",
}
# Fields that only matter for some choices: field -> (controlling field, values it applies to).
APPLIES = {
    "momentum": ("optimizer", ("sgd", "rmsprop")),
    "nesterov": ("optimizer", ("sgd",)),
    "step_size": ("scheduler", ("step",)),
    "gamma": ("scheduler", ("step",)),
}


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


class NumberBox(QDoubleSpinBox):
    """A float editor that shows 0.001 and 3e-05 as written, and steps relative to the value."""

    def __init__(self) -> None:
        super().__init__()
        self.setDecimals(12)
        self.setRange(0.0, 1e9)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip()
        if not stripped:
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            partial = stripped.rstrip("eE+-.")
            ok = not partial or partial.replace(".", "", 1).isdigit()
            state = QValidator.State.Intermediate if ok else QValidator.State.Invalid
            return state, text, pos
        state = QValidator.State.Acceptable if math.isfinite(value) else QValidator.State.Invalid
        return state, text, pos


class SettingsPanel(QWidget):
    """Edits ``project.training``; ``changed(section_dict, description, merge_key)`` asks the
    dashboard to store a new, already validated section."""

    changed = Signal(object, str, object)  # section, description, merge key or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingSettings")
        self.section: dict[str, Any] | None = None
        self.config = TrainingConfig()
        self.editors: dict[str, QWidget] = {}
        self._loading = False
        self.project: Project | None = None
        self.analysis: Analysis | None = None
        self.estimate: MemoryEstimate | None = None
        self.available = 0
        self.probe_options: dict[str, Any] = {}  # extra find_largest_batch arguments
        self._search: tuple[QThread, _BatchSearch] | None = None
        self.lr_finder: LrFinderDialog | None = None
        self.error = QLabel()
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: palette(bright-text);")
        self.error.hide()
        columns = QHBoxLayout()
        fields = {f.name: f for f in dataclasses.fields(TrainingConfig)}
        placed = {name for names in GROUPS.values() for name in names}
        groups = dict(GROUPS)
        others = tuple(n for n in fields if n not in placed and n != "early_stopping")
        if others:
            groups["Other"] = others
        for title, names in groups.items():
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
            for name in names:
                editor = self._editor(name, getattr(TrainingConfig(), name))
                form.addRow(_label(name), self._lr_row(editor) if name == "lr" else editor)
                if name == "batch_size":
                    form.addRow(self._memory_rows())
            if title == "Run":
                form.addRow(self._early_stopping_box())
            columns.addWidget(box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(columns)
        layout.addWidget(self.error)
        layout.addStretch(1)

    # ---- editors generated from the dataclass ----------------------------------------------
    def _editor(self, name: str, default: Any, prefix: str = "") -> QWidget:
        key = prefix + name
        editor: QWidget
        if name == "device":
            combo = QComboBox()
            for device in ("auto", *available_devices()):
                combo.addItem(device, device)
            combo.activated.connect(lambda _=0, k=key, c=combo: self._edit(k, c.currentData()))
            editor = combo
        elif name in CHOICES:
            combo = QComboBox()
            for option in CHOICES[name]:
                combo.addItem(option, option)
            combo.activated.connect(lambda _=0, k=key, c=combo: self._edit(k, c.currentData()))
            editor = combo
        elif isinstance(default, bool):
            check = QCheckBox()
            check.toggled.connect(lambda on, k=key: self._edit(k, on))
            editor = check
        elif isinstance(default, float):
            number = NumberBox()
            number.valueChanged.connect(lambda v, k=key: self._edit(k, v))
            editor = number
        else:  # int, or int | "auto"
            spin = QSpinBox()
            spin.setRange(0, INT_MAX)
            spin.setKeyboardTracking(False)
            if default == "auto":
                spin.setSpecialValueText("auto")
            spin.valueChanged.connect(lambda v, k=key: self._edit(k, v))
            editor = spin
        if isinstance(editor, (QAbstractSpinBox, QComboBox)):
            wheel_when_focused(editor)
        editor.setObjectName(f"setting_{key.replace('.', '_')}")
        if name in HELP:
            editor.setToolTip(HELP[name])
        self.editors[key] = editor
        return editor

    def _early_stopping_box(self) -> QGroupBox:
        box = QGroupBox("Early stopping")
        box.setObjectName("setting_early_stopping")
        box.setCheckable(True)
        box.setToolTip(HELP["early_stopping"])
        form = QFormLayout(box)
        for f in dataclasses.fields(EarlyStopping):
            form.addRow(_label(f.name), self._editor(f.name, f.default, "early_stopping."))
        box.toggled.connect(lambda on: self._edit("early_stopping", on))
        self.editors["early_stopping"] = box
        return box

    # ---- model -> form ---------------------------------------------------------------------
    def set_section(self, section: dict[str, Any] | None) -> None:
        """Show a project's ``training`` section (its effective values, defaults filled in)."""
        self.section = dict(section) if section is not None else None
        try:
            self.config = training_config(section)
            self._show_error(None)
        except ConfigError as exc:
            self.config = TrainingConfig()
            self._show_error(f"The project's settings are not valid: {exc}")
        self._loading = True
        try:
            values = self.config.to_dict()
            for key, editor in self.editors.items():
                if key == "early_stopping":
                    assert isinstance(editor, QGroupBox)
                    editor.setChecked(self.config.early_stopping is not None)
                    continue
                if key.startswith("early_stopping."):
                    rule = self.config.early_stopping or EarlyStopping()
                    value = getattr(rule, key.split(".", 1)[1])
                else:
                    value = values[key]
                _set_value(editor, value)
            self._update_applicable()
        finally:
            self._loading = False
        self._update_memory()

    # ---- learning-rate finder ----------------------------------------------------------------
    def _lr_row(self, editor: QWidget) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.find_lr = QPushButton("Find learning rate")
        self.find_lr.setObjectName("findLearningRate")
        self.find_lr.setToolTip(
            "Train a throw-away copy for at most one epoch while the lr "
            "grows from 1e-7 to 10, plot the loss and suggest the lr where it falls fastest "
            "(the project and its weights are untouched)"
        )
        self.find_lr.clicked.connect(self.open_lr_finder)
        layout.addWidget(editor, 1)
        layout.addWidget(self.find_lr)
        return row

    def open_lr_finder(self) -> None:
        """Start the range test on the project as it is now, in its own window."""
        if self.project is None:
            return
        if self.lr_finder is not None:
            self.lr_finder.reject()  # a new sweep for the current settings replaces the old
            self.lr_finder.deleteLater()
        snapshot = Project.from_dict(self.project.to_dict())
        snapshot.path = self.project.path  # relative dataset paths resolve as in a run
        snapshot.training = dict(self.section or {})
        self.lr_finder = LrFinderDialog(snapshot, self)
        # its own undo step, never merged into typing in the lr field
        self.lr_finder.use_lr.connect(lambda lr: self._edit("lr", lr, merge=False))
        self.lr_finder.show()

    # ---- will it fit? -----------------------------------------------------------------------
    def _memory_rows(self) -> QWidget:
        box = QWidget()
        rows = QVBoxLayout(box)
        rows.setContentsMargins(0, 0, 0, 0)
        self.memory = QLabel()
        self.memory.setObjectName("memoryEstimate")
        self.memory.setWordWrap(True)
        buttons = QHBoxLayout()
        self.find_batch = QPushButton("Find largest batch")
        self.find_batch.setObjectName("findLargestBatch")
        self.find_batch.setToolTip(
            "Run real training steps at growing batch sizes (each in its own process) and "
            "offer the largest that fits with 10 % of the memory left free"
        )
        self.find_batch.clicked.connect(self._find_or_cancel)
        self.use_batch = QPushButton()
        self.use_batch.setObjectName("useBatchSize")
        self.use_batch.clicked.connect(
            lambda: self._edit("batch_size", self.use_batch.property("batch"))
        )
        self.use_batch.hide()
        buttons.addWidget(self.find_batch)
        buttons.addWidget(self.use_batch)
        buttons.addStretch(1)
        rows.addWidget(self.memory)
        rows.addLayout(buttons)
        return box

    def set_model(self, project: Project, analysis: Analysis) -> None:
        """The network the estimate is for; called whenever its analysis changes."""
        if self.lr_finder is not None and project is not self.project:
            self.lr_finder.reject()  # its suggestion was for the project being closed
        self.project, self.analysis = project, analysis
        self._update_memory()

    def _update_memory(self) -> None:
        self.estimate = None
        if self.project is None or self.analysis is None or not self.analysis.valid:
            self.memory.setText("Peak memory of one step: shown once the network is valid")
            self.memory.setStyleSheet("")
            self.find_batch.setEnabled(False)
            return
        try:
            device = resolve_device_name(self.config.device)
        except ConfigError as exc:
            self.memory.setText(f"Peak memory of one step: unknown ({exc})")
            self.find_batch.setEnabled(False)
            return
        self.estimate = estimate_for(self.project, self.config, device, self.analysis)
        self.available = available_bytes(device)
        room = f"{format_bytes(self.available)} available on {device}"
        fits = self.estimate.fits(self.available)
        warning = "" if fits else " — will probably not fit: lower the batch size"
        self.memory.setText(
            f"Peak memory of one step {self.estimate.describe()} of {room}{warning}"
        )
        self.memory.setStyleSheet("" if fits else f"color: {theme.current_theme().warning};")
        self.find_batch.setEnabled(True)

    def confirm_fit(self) -> bool:
        """Before Train: True when the run should fit, or when the user says to train anyway."""
        if self.estimate is None or self.estimate.fits(self.available):
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Not enough memory",
            "This run will probably not fit in memory (estimated "
            f"{format_bytes(self.estimate.total)} of {format_bytes(self.available)} available). "
            "Train anyway?",
            buttons.Yes | buttons.No,
            buttons.No,
        )
        return answer == buttons.Yes

    @property
    def searching(self) -> bool:
        """Find largest batch is probing."""
        return self._search is not None

    def _find_or_cancel(self) -> None:
        if self._search is not None:
            self._search[1].cancelled = True
            self.find_batch.setText("Cancelling…")
            self.find_batch.setEnabled(False)
            return
        if self.project is None:
            return
        snapshot = Project.from_dict(self.project.to_dict())
        snapshot.training = dict(self.section or {})
        device = resolve_device_name(self.config.device)
        options = {"start": self.config.batch_size, **self.probe_options}
        search = _BatchSearch(snapshot, device, options)
        thread = QThread(self)
        search.moveToThread(thread)
        thread.started.connect(search.run)
        search.probed.connect(self._probed)
        search.done.connect(self._search_done)
        search.done.connect(thread.quit)
        thread.finished.connect(self._search_ended)
        self._search = (thread, search)
        self.use_batch.hide()
        self.find_batch.setText("Cancel")
        self.memory.setText("Finding the largest batch: starting a probe…")
        gui_thread_collector().hold()  # the search thread allocates; see gui.gc_guard
        thread.start()

    def _probed(self, result: Probe) -> None:
        outcome = (
            f"does not fit ({result.reason})"
            if result.reason or result.peak is None
            else f"{format_bytes(result.peak)}, fits"
        )
        self.memory.setText(f"Finding the largest batch: {result.batch_size} → {outcome}")

    def _search_done(self, largest: int, message: str) -> None:
        self.memory.setText(message)
        self.memory.setStyleSheet("")
        if largest > 0:
            self.use_batch.setText(f"Use batch size {largest}")
            self.use_batch.setProperty("batch", largest)
            self.use_batch.show()

    def _search_ended(self) -> None:
        if self._search is not None:
            thread, search = self._search
            search.deleteLater()
            thread.deleteLater()
            gui_thread_collector().release()
        self._search = None
        self.find_batch.setText("Find largest batch")
        self.find_batch.setEnabled(self.estimate is not None)

    def stop_search(self) -> None:
        """Cancel a running search or range test and wait for its thread (the panel is going
        away)."""
        if self.lr_finder is not None:
            self.lr_finder.stop()
        if self._search is not None:
            thread, search = self._search
            search.cancelled = True
            thread.wait()

    def _update_applicable(self) -> None:
        for name, (control, values) in APPLIES.items():
            editor = self.editors.get(name)
            if editor is not None:
                editor.setEnabled(getattr(self.config, control) in values)

    # ---- form -> model ---------------------------------------------------------------------
    def _edit(self, key: str, value: Any, merge: bool = True) -> None:
        """Store ``value`` under ``key``; edits of one key in a row merge into one undo step
        unless ``merge`` is False."""
        if self._loading:
            return
        section = dict(self.section or {})
        name = key.split(".", 1)[0]
        if key == "early_stopping":
            if value:
                section[name] = dataclasses.asdict(EarlyStopping())
            else:
                section.pop(name, None)
        elif key.startswith("early_stopping."):
            rule = dict(section.get(name) or dataclasses.asdict(EarlyStopping()))
            rule[key.split(".", 1)[1]] = value
            section[name] = rule
        else:
            section[name] = "auto" if key == "threads" and value == 0 else value
        try:
            training_config(section)
        except ConfigError as exc:
            self._show_error(str(exc))
            self.set_section(self.section)  # back to the stored values
            self._show_error(str(exc))
            return
        self._show_error(None)
        shown = section.get(name)
        text = f"Set training {key.replace('_', ' ')} to {shown if not isinstance(shown, dict) else 'on'}"
        self.changed.emit(section, text, f"training.{key}" if merge else None)

    def _show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


class _BatchSearch(QObject):
    """Runs ``find_largest_batch`` in a worker thread; ``cancelled`` ends it at the next poll."""

    probed = Signal(object)  # Probe
    done = Signal(int, str)  # the largest batch (0: none) and what to tell the user

    def __init__(self, project: Project, device: str, options: dict[str, Any]) -> None:
        super().__init__()
        self.project, self.device, self.options = project, device, options
        self.cancelled = False

    def run(self) -> None:
        try:
            self._search()
        finally:  # back to the GUI thread, where deleteLater can reach it once this one ends
            back_to_gui_thread(self)

    def _search(self) -> None:
        try:
            largest = find_largest_batch(
                self.project,
                self.device,
                progress=self.probed.emit,
                cancel=lambda: self.cancelled,
                **self.options,
            )
        except ProbeCancelled:
            self.done.emit(0, "Finding the largest batch: cancelled")
            return
        except Exception as exc:  # a probe that cannot start: say why, keep the editor
            self.done.emit(0, f"Cannot find the largest batch: {type(exc).__name__}: {exc}")
            return
        if largest == 0:
            self.done.emit(0, "Not even a batch of 1 fits with 10 % of the memory free")
        else:
            self.done.emit(largest, f"The largest batch that fits with 10 % free: {largest}")


def _set_value(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QComboBox):
        index = editor.findData(value)
        if index < 0:  # e.g. a device this machine lacks: show it, so the user sees why
            editor.addItem(f"{value} (not available)", value)
            index = editor.count() - 1
        editor.setCurrentIndex(index)
    elif isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QDoubleSpinBox):
        editor.setValue(float(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(0 if value == "auto" else int(value))
