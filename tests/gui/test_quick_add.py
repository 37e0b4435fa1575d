"""Keyboard quick add: Shift+A (or Tab on the canvas), type, Enter adds the block at the mouse."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor

from cnnstudio.core.blocks import get_spec
from cnnstudio.gui import settings
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.quick_add import BLOCK_ROLE, rank

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(settings, "_MEMORY", {})
    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    w.resize(900, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def _results(window: MainWindow) -> list[str]:
    results = window.quick_add_popup.results
    return [results.item(i).data(BLOCK_ROLE) for i in range(results.count())]


def test_ranking_puts_name_matches_first() -> None:
    assert rank(get_spec("ReLU"), "relu") == 0
    assert rank(get_spec("ReLU6"), "relu") == 1
    assert rank(get_spec("LeakyReLU"), "relu") == 2
    assert rank(get_spec("MaxPool2d"), "pool max") == 2
    assert rank(get_spec("BatchNorm2d"), "normalisation") == 3
    assert rank(get_spec("Dropout"), "overfitting") == 4
    assert rank(get_spec("Conv2d"), "zebra") is None


def test_shift_a_search_and_enter_adds_the_block_at_the_mouse(qtbot, window) -> None:
    view = window.view
    view.centerOn(0, 500)
    QCursor.setPos(view.viewport().mapToGlobal(view.mapFromScene(100, 600)))  # below the blocks
    window.action_quick_add.trigger()
    popup = window.quick_add_popup
    assert popup.isVisible()
    assert len(_results(window)) > 30  # every block before typing
    qtbot.keyClicks(popup.search, "batchn")
    assert _results(window)[:2] == ["BatchNorm2d", "BatchNorm1d"]
    assert "channel" in popup.help.text()
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert "batchnorm_1" in window.document.graph
    assert window.scene.selected_node_ids() == ["batchnorm_1"]
    x, y = window.document.graph.node("batchnorm_1").position
    assert (x, y) == pytest.approx((100, 600), abs=3)
    assert window.document.undo_stack.count() == 1


def test_tab_on_the_canvas_opens_it_and_escape_adds_nothing(qtbot, window) -> None:
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    popup = window.quick_add_popup
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, "zebra")
    assert _results(window) == []
    assert popup.help.text() == "No block matches."
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)  # nothing to choose: stays open
    assert popup.isVisible()
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    assert len(window.document.graph) == 14
    assert window.document.undo_stack.count() == 0


def test_clicking_a_result_adds_it(qtbot, window) -> None:
    window.quick_add()
    popup = window.quick_add_popup
    qtbot.keyClicks(popup.search, "concat")
    results = popup.results
    rect = results.visualItemRect(results.item(0))
    qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert "concat_1" in window.document.graph
    assert not popup.isVisible()


def test_with_a_block_selected_the_new_one_is_wired_after_it(qtbot, window, mouse_on) -> None:
    scene = window.scene
    mouse_on(window.view).click(scene.node_item("fc3").pos())
    assert scene.selected_node_ids() == ["fc3"]
    source = scene.node_item("fc3").pos()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    qtbot.keyClicks(window.quick_add_popup.search, "dropout")
    qtbot.keyClick(window.quick_add_popup.search, Qt.Key.Key_Return)
    assert window.document.graph.inputs_of("dropout_1")[0].source == "fc3"
    added = scene.node_item("dropout_1")
    assert added.x() > source.x()  # beside it, not on top of it
    assert not added.collidesWithItem(scene.node_item("fc3"))
    assert scene.selected_node_ids() == ["dropout_1"]  # the next add chains on
    assert window.document.undo_stack.count() == 1
