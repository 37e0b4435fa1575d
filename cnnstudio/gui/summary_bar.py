"""The permanent part of the status bar: parameters, MACs, problems and zoom of the network."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from cnnstudio.core.analysis import Analysis
from cnnstudio.gui import theme
from cnnstudio.gui.numbers import short_count


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


class SummaryBar(QWidget):
    """Emits ``issues_clicked`` when the problem count is clicked (the window shows the list)."""

    issues_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(0)
        self.params = QLabel()
        self.params.setObjectName("statusParams")
        self.params.setToolTip("Learned parameters of the model (the blocks that feed the Output)")
        self.macs = QLabel()
        self.macs.setObjectName("statusMacs")
        self.macs.setToolTip("Multiply-accumulate operations per sample")
        self.issues = QToolButton()
        self.issues.setObjectName("statusIssues")
        self.issues.setAutoRaise(True)
        self.issues.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.issues.setToolTip("Show the issues list")
        self.issues.clicked.connect(self.issues_clicked)
        self.zoom = QLabel()
        self.zoom.setObjectName("statusZoom")
        self.zoom.setToolTip("Canvas zoom (Ctrl+wheel or Ctrl+/Ctrl-; Ctrl+0 fits the network)")
        for widget in (self.params, self.macs, self.issues, self.zoom):
            layout.addWidget(widget)
        self._errors = 0
        self._warnings = 0
        self.set_zoom(100)

    def set_analysis(self, analysis: Analysis) -> None:
        self.params.setText(f"Params {short_count(analysis.total_params)}")
        self.macs.setText(f"MACs {short_count(analysis.macs)}")
        self._errors, self._warnings = len(analysis.errors), len(analysis.warnings)
        self._refresh_issues()

    def _refresh_issues(self) -> None:
        if self._errors:
            text, icon = _plural(self._errors, "error"), "error"
        elif self._warnings:
            text, icon = _plural(self._warnings, "warning"), "warning"
        else:
            text, icon = "No errors", "ok"
        if self._errors and self._warnings:
            text += f", {_plural(self._warnings, 'warning')}"
        self.issues.setText(text)
        self.issues.setIcon(theme.icon(icon))

    def set_zoom(self, percent: int) -> None:
        self.zoom.setText(f"Zoom {percent} %")

    def retheme(self) -> None:
        self._refresh_issues()
