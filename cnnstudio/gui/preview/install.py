"""Puts the live preview into the main window: its toolbar toggle and sample picker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSpinBox

from cnnstudio.gui.preview.live import LivePreview

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow


def install_preview(window: MainWindow) -> LivePreview:
    """The toggle (``actionPreview``) and the sample spin box (``previewSample``) after the zoom
    actions; the preview follows ``window``'s document and shares the dashboard's data loader."""
    preview = LivePreview(window.dashboard.loader, window)
    action = QAction("&Preview Activations", window)
    action.setObjectName("actionPreview")
    action.setCheckable(True)
    action.setStatusTip("Show in every block its activation for one sample, updated as you edit")
    window.theme_icon(action, "preview")
    action.triggered.connect(preview.set_enabled)  # the user's clicks only, not setChecked
    window.addAction(action)
    sample = QSpinBox()
    sample.setObjectName("previewSample")
    sample.setPrefix("Sample ")
    sample.setKeyboardTracking(False)  # typing "123" previews once, not for 1, 12 and 123
    sample.setToolTip("Which validation image the preview sends through the network")
    sample.valueChanged.connect(preview.set_sample)

    def follow() -> None:
        action.setChecked(preview.enabled)
        action.setToolTip(preview.reason or action.text().replace("&", ""))
        sample.setEnabled(preview.enabled and preview.sample_count > 0)
        sample.setMaximum(max(preview.sample_count - 1, 0))
        sample.setValue(preview.sample)

    preview.state_changed.connect(follow)
    bar = window.toolbar
    actions = bar.actions()
    after_zoom = actions[actions.index(window.action_fit) + 1]
    bar.insertSeparator(after_zoom)
    bar.insertAction(after_zoom, action)
    bar.insertWidget(after_zoom, sample)
    view = window.view_menu.actions()
    window.view_menu.insertAction(view[view.index(window.action_fit) + 1], action)
    window.document_changed.connect(preview.set_document)
    follow()
    return preview
