"""The dashboard in the window: its dock, shortcuts, View-menu toggle and theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
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
                backdrop = legend.brush().color()  # legible over the curves under it
                assert backdrop.name() == QColor(c.background).name()
                assert 0 < backdrop.alpha() < 255
            assert c.val in dashboard.data_panel.counts.plot.titleLabel.text
            colours[dark] = c.raw.name()
        assert colours[True] != colours[False]  # the faint batch loss is faint on both
    finally:
        theme.apply_theme(app, "light")
        app.setStyleSheet("")


class _LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_switching_live_views_lays_out_only_the_views(qtbot, window, dashboard) -> None:
    """A tab switch in the Live panel must not re-lay out (and so repaint) the main window."""
    tabs = dashboard.view_tabs
    for index in (1, 0):  # every page laid out once
        tabs.setCurrentIndex(index)
        qtbot.wait(50)
    requests = _LayoutRequests()
    window.installEventFilter(requests)
    for index in (1, 0, 1):
        tabs.setCurrentIndex(index)
        qtbot.wait(50)
    window.removeEventFilter(requests)
    assert tabs.currentWidget() is dashboard.filters
    assert dashboard.filters.isVisible()
    assert requests.count == 0
