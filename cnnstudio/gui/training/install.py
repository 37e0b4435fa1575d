"""Puts the training dashboard into the main window: its dock, shortcuts, View-menu toggle and
File > Predict on Images…."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from cnnstudio.gui.training.dashboard import TrainingDashboard

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

DOCK_HEIGHT = 430


def install_dashboard(window: MainWindow) -> TrainingDashboard:
    """Create the dashboard in a bottom dock and wire it to ``window``'s document."""
    dashboard = TrainingDashboard(window)
    dock = window.add_bottom_dock(dashboard, "Training")
    if window.settings.bytes_value("window/state") is None:
        window.resizeDocks([dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)

    def action(name: str, text: str, keys: str, slot: Callable[[], None], tip: str) -> None:
        a = QAction(text, window)
        a.setObjectName(name)
        a.setShortcut(QKeySequence(keys))
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setToolTip(f"{tip} ({keys})")
        a.triggered.connect(slot)
        window.addAction(a)

    action("actionTrain", "Train", "F5", dashboard.train_or_resume, "Train, or resume when paused")
    action("actionStopTraining", "Stop Training", "Shift+F5", dashboard.stop, "Stop training")
    thumbnails = QAction("Live Feature Maps in Nodes", window)
    thumbnails.setObjectName("actionLiveThumbnails")
    thumbnails.setCheckable(True)
    thumbnails.setChecked(dashboard.thumbnails.enabled)
    thumbnails.setStatusTip("Show each convolution and pooling node's strongest feature map")
    thumbnails.toggled.connect(dashboard.thumbnails.set_enabled)
    view = window.view_menu.actions()
    window.view_menu.insertAction(view[view.index(window.action_fit) + 1], thumbnails)
    predict = QAction("Predict on &Images…", window)
    predict.setObjectName("actionPredictImages")
    predict.setStatusTip("Classify your own pictures with the trained network")
    predict.triggered.connect(dashboard.predict_images)
    file_menu = next(m for m in window.action_quit.associatedObjects() if isinstance(m, QMenu))
    file_menu.insertAction(window.action_quit, predict)
    file_menu.insertSeparator(window.action_quit)
    dashboard.status_message.connect(window.show_message)
    dashboard.runs_panel.open_requested.connect(window.open_run)

    window.document_changed.connect(dashboard.set_document)
    return dashboard
