"""Train / Pause / Stop, the progress of the run, and a message line for what went wrong."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui import theme
from cnnstudio.train.callbacks import BatchProgress
from cnnstudio.train.run_state import RunState

_SPEED_SMOOTHING = 0.8
_STEPS = 1000
_PAUSED = "Paused · "


def clock(seconds: float) -> str:
    """ETA as ``0:42`` or ``1:02:03``."""
    s = max(round(seconds), 0)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class MessageBanner(QFrame):
    """A dismissable message inside the dashboard: visible, but never in the way."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingMessage")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel()
        self.text.setObjectName("trainingMessageText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "error", details: str = "") -> None:
        t = theme.current_theme()
        colour = {"error": t.error, "warning": t.warning}.get(kind, t.ok)
        self.setStyleSheet(
            f"#trainingMessage {{ border: 1px solid {colour}; border-radius: 4px; }}"
            f"#trainingMessageText {{ color: {colour}; }}"
        )
        self.text.setText(text)
        self.setToolTip(details)
        self.show()


class ControlBar(QWidget):
    train_requested = Signal(str)  # "auto", "continue" or "restart"
    pause_requested = Signal()  # pause, or resume when paused
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = RunState.IDLE
        self.can_continue = False
        self._speed: float | None = None
        self.train_button = QToolButton()
        self.train_button.setObjectName("trainButton")
        self.train_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.train_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.train_button.clicked.connect(lambda: self.train_requested.emit("auto"))
        menu = QMenu(self.train_button)
        self.continue_action = menu.addAction(
            "Continue from the trained weights", lambda: self.train_requested.emit("continue")
        )
        self.restart_action = menu.addAction(
            "Restart from scratch", lambda: self.train_requested.emit("restart")
        )
        self.train_button.setMenu(menu)
        self.pause_button = QToolButton()
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pause_button.clicked.connect(self.pause_requested)
        self.stop_button = QToolButton()
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setText("Stop")
        self.stop_button.setToolTip("Stop after the current batch (Shift+F5)")
        self.stop_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.stop_button.clicked.connect(self.stop_requested)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainProgress")
        self.progress.setRange(0, _STEPS)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready to train")
        self.progress.setMinimumWidth(260)
        self.info = QLabel()  # set once per run: a relayout then costs nothing
        self.info.setObjectName("runInfo")
        self.banner = MessageBanner()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.train_button, self.pause_button, self.stop_button):
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            row.addWidget(button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.info)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(row)
        layout.addWidget(self.banner)
        self.retheme()
        self.set_state(RunState.IDLE, False)

    def retheme(self) -> None:
        t = theme.current_theme()
        # A style sheet also stops Fusion's animated stripes, which repaint the bar (and the
        # window around it) 30 times a second for as long as a run goes.
        self.progress.setStyleSheet(
            f"QProgressBar {{ border: 1px solid {t.border}; border-radius: 4px;"
            f" background: {t.base}; color: {t.fg}; text-align: center; min-height: 20px; }}"
            f"QProgressBar::chunk {{ background: {t.accent}; border-radius: 3px;"
            f" margin: 1px; }}"
        )
        self.train_button.setIcon(theme.icon("train"))
        self.pause_button.setIcon(theme.icon("pause" if self.state != RunState.PAUSED else "train"))
        self.stop_button.setIcon(theme.icon("stop"))

    def set_state(self, state: RunState, can_continue: bool) -> None:
        self.state, self.can_continue = state, can_continue
        idle = state == RunState.IDLE
        self.train_button.setEnabled(idle)
        self.train_button.setText("Continue training" if can_continue else "Train")
        self.train_button.setToolTip(
            "Continue the run the trained weights come from (F5); the arrow offers a restart"
            if can_continue
            else "Train the network on the chosen data (F5)"
        )
        self.continue_action.setEnabled(can_continue)
        self.pause_button.setEnabled(state in (RunState.RUNNING, RunState.PAUSED))
        self.pause_button.setText("Resume" if state == RunState.PAUSED else "Pause")
        self.pause_button.setToolTip(
            "Resume training (F5)" if state == RunState.PAUSED else "Pause training"
        )
        self.pause_button.setIcon(theme.icon("train" if state == RunState.PAUSED else "pause"))
        self.stop_button.setEnabled(
            state in (RunState.RUNNING, RunState.PAUSED, RunState.PREPARING)
        )
        if state == RunState.STOPPING:
            self.progress.setFormat("Stopping after this batch…")
        elif state == RunState.PAUSED:
            self.progress.setFormat(_PAUSED + self.progress.format().removeprefix(_PAUSED))
        elif state == RunState.PREPARING:
            self._speed = None
            self.progress.setRange(0, 0)  # busy indicator until the first batch
            self.progress.setFormat("Loading data…")

    def show_progress(self, p: BatchProgress, first_epoch: int) -> None:
        if self.progress.maximum() == 0:
            self.progress.setRange(0, _STEPS)
        speed = p.samples_per_s
        self._speed = (
            speed
            if self._speed is None
            else _SPEED_SMOOTHING * self._speed + (1 - _SPEED_SMOOTHING) * speed
        )
        span = max(p.epochs - first_epoch + 1, 1) * p.batches_per_epoch
        done = (p.epoch - first_epoch) * p.batches_per_epoch + p.batch
        text = (
            f"Epoch {p.epoch}/{p.epochs} · batch {p.batch}/{p.batches_per_epoch} · "
            f"{self._speed:,.0f} samples/s · ETA {clock(p.eta_s)}"
        )
        # QProgressBar.setValue repaints at once, inside this Python call, so holding the GIL
        # the training thread needs; with updates off it only schedules the repaint, which
        # the event loop then paints without the GIL.
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(int(_STEPS * min(done / max(span, 1), 1.0)))
        self.progress.setFormat((_PAUSED if self.state == RunState.PAUSED else "") + text)
        self.progress.setUpdatesEnabled(True)

    def show_text(self, text: str, value: float | None = None) -> None:
        """A message in the progress bar (``value`` 0..1 sets the bar; None leaves it)."""
        if self.progress.maximum() == 0:
            self.progress.setRange(0, _STEPS)
        if value is not None:
            self.progress.setValue(int(_STEPS * value))
        self.progress.setFormat(text)
