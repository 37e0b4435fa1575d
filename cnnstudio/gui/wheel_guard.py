"""Editors in a scrolling form turn their value with the wheel only once they have the focus.

Otherwise a wheel over a spin box or combo box scrolls the form around it: scrolling the
inspector or the training settings past an editor must not change a setting on the way.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() != QEvent.Type.Wheel
            or not isinstance(watched, QWidget)
            or watched.hasFocus()
        ):
            return False
        assert isinstance(event, QWheelEvent)
        area = _scroll_area(watched)
        if area is not None:  # handed to the form's scroll area, whoever sent it
            viewport = area.viewport()
            local = QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint()))
            QApplication.sendEvent(
                viewport,
                QWheelEvent(
                    local,
                    event.globalPosition(),
                    event.pixelDelta(),
                    event.angleDelta(),
                    event.buttons(),
                    event.modifiers(),
                    event.phase(),
                    event.inverted(),
                ),
            )
        return True


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


@cache
def _guard() -> _WheelGuard:
    return _WheelGuard()  # one filter serves every guarded widget


def wheel_when_focused(*widgets: QWidget) -> None:
    """The wheel changes each of ``widgets`` only after a click or Tab has focused it."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(_guard())
