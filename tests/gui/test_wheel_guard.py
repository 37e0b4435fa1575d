"""A wheel over an editor in a scrolling form scrolls the form, unless the editor is focused:
scrolling the inspector past a group's Repeat once changed it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollArea,
    QWidget,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def wheel_down(widget: QWidget) -> None:
    """One notch down over the middle of ``widget``. (The mouse's event goes to the deepest
    child under the cursor, a spin box's line edit, which passes it on to the spin box; an
    event sent by a test is not passed on, so it goes to the editor itself.)"""
    local = QPointF(widget.rect().center())
    event = QWheelEvent(
        local,
        QPointF(widget.mapToGlobal(local.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_inspector_past_repeat_and_turns_it_once_focused(
    qtbot: Any, shown_window: Any
) -> None:
    window = shown_window()
    window.activateWindow()
    qtbot.waitActive(window)  # focus is given in the active window only
    assert window.new_project("resnet18")
    document, inspector = window.document, window.inspector
    document.graph.set_repeat("layer1", 2)  # x2: a wheel step down would make it x1
    window.scene.select_nodes(["layer1"])
    scroll = inspector.findChild(QScrollArea)
    scroll.setFixedHeight(160)  # a short inspector: its form scrolls
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)
    bar = scroll.verticalScrollBar()
    bar.setValue(0)
    repeat = inspector.repeat_edit
    assert not repeat.hasFocus()

    wheel_down(repeat)
    assert document.graph.node("layer1").repeat == 2
    assert repeat.value() == 2
    assert bar.value() > 0  # the form scrolled instead
    assert not repeat.hasFocus()

    repeat.setFocus(Qt.FocusReason.TabFocusReason)  # tabbed to: now the wheel turns it
    qtbot.waitUntil(repeat.hasFocus)
    wheel_down(repeat)
    assert repeat.value() == 1
    assert document.graph.node("layer1").repeat == 1


def test_the_training_settings_and_data_editors_take_the_wheel_only_once_focused(
    shown_window: Any,
) -> None:
    dashboard = shown_window().dashboard
    editors = [
        *dashboard.settings_panel.editors.values(),
        dashboard.data_panel.source_box,
        dashboard.data_panel.samples_spin,
        dashboard.data_panel.val_spin,
        dashboard.data_panel.seed_spin,
        dashboard.data_panel.crop_spin,
    ]
    editors = [e for e in editors if isinstance(e, (QAbstractSpinBox, QComboBox))]
    assert len(editors) >= 12
    for editor in editors:
        assert editor.focusPolicy() == Qt.FocusPolicy.StrongFocus, editor.objectName()
        before = editor.text() if isinstance(editor, QAbstractSpinBox) else editor.currentIndex()
        wheel_down(editor)
        after = editor.text() if isinstance(editor, QAbstractSpinBox) else editor.currentIndex()
        assert after == before, editor.objectName()
