"""The dashboard in the window: its dock, shortcuts, View-menu toggle and theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QApplication, QDockWidget

from cnnstudio.gui import theme
from cnnstudio.gui.plots.style import plot_colours

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_dashboard_sits_in_the_bottom_dock_with_its_shortcuts(window, dashboard) -> None:
    dock = dashboard.parentWidget()
    assert isinstance(dock, QDockWidget)
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert dock.toggleViewAction() in window.view_menu.actions()
    train = window.findChild(QAction, "actionTrain")
    stop = window.findChild(QAction, "actionStopTraining")
    assert train.shortcut().toString() == "F5"
    assert stop.shortcut().toString() == "Shift+F5"
    toggle = window.findChild(QAction, "actionLiveThumbnails")
    assert toggle in window.view_menu.actions()
    assert toggle.isChecked()
    for name in (
        "trainButton",
        "pauseButton",
        "stopButton",
        "trainProgress",
        "lossPlot",
        "accuracyPlot",
        "featureMaps",
        "confusionMatrix",
    ):
        assert dashboard.findChild(object, name) is not None, name


def test_plots_follow_the_theme(window, dashboard) -> None:
    app = QApplication.instance()
    loss = dashboard.curves.loss_plot
    try:
        colours = {}
        for dark, look in ((True, theme.DARK), (False, theme.LIGHT)):
            window.set_dark_theme(dark)
            assert loss.backgroundBrush().color().name() == look.base
            c = plot_colours()
            curves = dashboard.curves
            assert curves.raw_loss.pen().color() == c.raw
            assert curves.val_loss.pen().color().name() == c.val
            assert curves.val_accuracy.markers.brush().color().name() == c.val
            assert curves.layers[0].grid.pen().color().name() == QColor(c.muted).name()
            for legend in curves.legends:
                for _, label in legend.items:  # the colour drawn, not only the one stored
                    assert look.fg.lower() in label.item.toHtml().lower()
            assert c.val in dashboard.data_panel.counts.plot.titleLabel.text
            colours[dark] = c.raw.name()
        assert colours[True] != colours[False]  # the faint batch loss is faint on both
    finally:
        theme.apply_theme(app, "light")
        app.setStyleSheet("")
