"""pyqtgraph views that Qt repaints in C++, leaving the GIL to the training thread meanwhile.

pyqtgraph's ``GraphicsView.paintEvent`` is a Python override that emits the scene's
``sigPrepareForPaint`` (view boxes apply deferred range changes then, text items follow the
view) before Qt's own repaint. A Python override holds the GIL for the whole C++ call it wraps:
measured here, a Python thread kept 7 % of its speed during such repaints and 81 % during
plain C++ ones; the training thread needs the GIL between every two torch calls.

These views keep QGraphicsView's own ``paintEvent``, and their view boxes post the prepare
step whenever they change instead: once per scene, as a queued call, which Qt delivers before
the low-priority paint request that the same change posted.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QGraphicsView


class _Preparer(QObject):
    """Runs the queued prepare steps of all scenes that asked for one."""

    requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.scenes: list[pg.GraphicsScene] = []
        self.requested.connect(self.prepare, Qt.ConnectionType.QueuedConnection)

    def ask(self, scene: pg.GraphicsScene) -> None:
        if scene in self.scenes:
            return
        self.scenes.append(scene)
        if len(self.scenes) == 1:
            self.requested.emit()

    def prepare(self) -> None:
        scenes, self.scenes = self.scenes, []
        for scene in scenes:
            if shiboken6.isValid(scene):  # a closed view's scene may be gone by now
                scene.prepareForPaint()


_preparer: list[_Preparer] = []


def prepare_soon(scene: pg.GraphicsScene) -> None:
    """Emit ``scene.sigPrepareForPaint`` before its next repaint."""
    if not _preparer:
        _preparer.append(_Preparer())
    _preparer[0].ask(scene)


class ViewBox(pg.ViewBox):
    """A view box that asks for the prepare step whenever it changes (it calls ``update``), and
    builds its context menu on the first right click rather than with the view (4 ms a plot,
    most of the dashboard's share of start-up)."""

    def __init__(self, **kwargs: Any) -> None:
        wants_menu = kwargs.pop("enableMenu", True)
        super().__init__(enableMenu=False, **kwargs)
        self.state["enableMenu"] = wants_menu

    def _applyMenuEnabled(self) -> None:
        if not self.menuEnabled():
            super()._applyMenuEnabled()  # drops a built menu

    def getMenu(self, ev: Any) -> Any:
        if self.menu is None and self.menuEnabled():
            super()._applyMenuEnabled()
        return self.menu

    def getContextMenus(self, event: Any) -> Any:
        return self.getMenu(event).actions() if self.menuEnabled() else []

    def update(self, *args: Any) -> None:
        super().update(*args)
        scene = self.scene()
        if isinstance(scene, pg.GraphicsScene):
            prepare_soon(scene)


class PlotWidget(pg.PlotWidget):
    """``pg.PlotWidget`` with C++ repaints and a :class:`ViewBox`."""

    paintEvent = QGraphicsView.paintEvent  # no Python between Qt and the repaint

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(viewBox=ViewBox(), **kwargs)


class GraphicsLayoutWidget(pg.GraphicsLayoutWidget):
    """``pg.GraphicsLayoutWidget`` with C++ repaints; add :class:`ViewBox` es to it."""

    paintEvent = QGraphicsView.paintEvent

    def add_view_box(self, **kwargs: Any) -> ViewBox:
        """Like ``addViewBox``: a :class:`ViewBox` (``kwargs`` go to it) in the next cell."""
        box = ViewBox(**kwargs)
        self.addItem(box)
        return box
