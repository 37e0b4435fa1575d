"""Help > Keyboard Shortcuts lists every shortcut of the window, read from its actions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from cnnstudio.gui.editor.scene import GraphScene
from cnnstudio.gui.editor.view import GraphView
from cnnstudio.gui.help.shortcuts import CANVAS_GROUP
from cnnstudio.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _open_sheet(window: MainWindow, qtbot):
    window.findChild(QAction, "actionShortcuts").trigger()
    sheet = window.help_menu.shortcut_sheet
    assert sheet is not None
    qtbot.waitUntil(sheet.isVisible)
    return sheet


def test_help_menu_is_last_with_its_four_actions(window: MainWindow) -> None:
    menus = window.menuBar().actions()
    assert menus[-1].text().replace("&", "") == "Help"
    names = {a.objectName() for a in menus[-1].menu().actions()}
    assert {
        "actionShortcuts",
        "actionDocumentation",
        "actionAbout",
        "actionCopyDiagnostics",
    } <= names


def test_sheet_lists_every_action_with_a_shortcut(window: MainWindow, qtbot) -> None:
    sheet = _open_sheet(window, qtbot)
    rows = sheet.shown_rows()
    listed = {(text, keys) for _, text, keys in rows}
    with_keys = [a for a in window.findChildren(QAction) if a.shortcuts()]
    names = {a.objectName() for a in with_keys}
    assert {"actionTrain", "actionStopTraining", "actionSave", "actionQuickAdd"} <= names
    for action in with_keys:
        text = action.text().replace("&", "")
        first = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert any(t == text and first in keys.split(", ") for t, keys in listed), text
    groups = [g for g, _, _ in rows]
    assert ("Edit", "Duplicate", "Ctrl+D") in rows
    assert ("File", "Save", QKeySequence(QKeySequence.StandardKey.Save).toString()) in rows
    train = QKeySequence("F5").toString(QKeySequence.SequenceFormat.NativeText)
    assert ("Other", "Train", train) in rows
    # Grouped by menu, in menu-bar order, the canvas keys after the menus.
    assert groups == sorted(groups, key=[*dict.fromkeys(groups)].index)
    assert [*dict.fromkeys(groups)] == ["File", "Edit", "View", "Help", CANVAS_GROUP, "Other"]


def test_canvas_keys_come_from_the_tables_beside_their_handling(window: MainWindow, qtbot) -> None:
    sheet = _open_sheet(window, qtbot)
    canvas = [(keys, text) for group, text, keys in sheet.shown_rows() if group == CANVAS_GROUP]
    assert canvas == [*GraphView.HANDLED_KEYS, *GraphScene.HANDLED_KEYS]
    assert {"Tab", "Esc", "Delete, Backspace", "Arrow keys"} <= {keys for keys, _ in canvas}


def test_search_narrows_the_sheet(window: MainWindow, qtbot) -> None:
    sheet = _open_sheet(window, qtbot)
    everything = len(sheet.shown_rows())
    qtbot.keyClicks(sheet.filter, "train")
    assert {text for _, text, _ in sheet.shown_rows()} == {"Train", "Stop Training"}
    sheet.filter.clear()
    qtbot.keyClicks(sheet.filter, "ctrl+d")
    assert [text for _, text, _ in sheet.shown_rows()] == ["Duplicate"]
    sheet.filter.clear()
    assert len(sheet.shown_rows()) == everything


def test_keys_open_the_sheet_and_the_docs(window: MainWindow, qtbot) -> None:
    window.activateWindow()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert window.help_menu.shortcut_sheet is not None
    assert window.help_menu.shortcut_sheet.isVisible()
    window.help_menu.shortcut_sheet.close()
    window.activateWindow()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F1)
    assert window.help_menu.docs is not None
    assert window.help_menu.docs.isVisible()
