"""When the live views are drawn: one GUI-thread timer, never a redraw per report.

Reports only fill buffers and mark views dirty. Every ``1 / REFRESH_HZ`` s one tick draws one
thing: ticks alternate between the curves (so they update at ``REFRESH_HZ / 2``, ~10 Hz) and the
progress bar plus the next dirty heavy view (feature maps, filters, confusion matrix, canvas
thumbnails) in turn. A tick (and the repaint it causes) thus stays a few milliseconds long,
which is what keeps the editor's own timers on time while a run goes. Thumbnails repaint part
of the canvas, so they are drawn at most once per ``THUMBNAIL_INTERVAL_S``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

REFRESH_HZ = 20
THUMBNAIL_INTERVAL_S = 1.0


class LiveView(Protocol):
    @property
    def dirty(self) -> bool: ...

    def isVisible(self) -> bool: ...

    def refresh(self) -> None: ...


class LiveRefresh(QObject):
    def __init__(
        self,
        curves: Callable[[bool], None],
        views: Sequence[LiveView],
        thumbnails: Callable[[], bool],
        shown: Callable[[], bool],
        progress: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        """``curves(force)`` redraws the curves; ``thumbnails()`` draws pending thumbnails and
        says whether there were any; ``shown()`` tells whether the views can be seen at all;
        ``progress()`` updates the progress bar (always visible, so drawn even when views are
        not)."""
        super().__init__(parent)
        self.curves, self.views, self.thumbnails = curves, list(views), thumbnails
        self.shown, self.progress = shown, progress
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // REFRESH_HZ)
        self.timer.timeout.connect(self.tick)
        self._ticks = 0
        self._turn = 0
        self._thumbnails_at = 0.0

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        self._ticks += 1
        if self._ticks % 2:
            if self.shown():
                self.curves(False)
            return
        self.progress()
        if not self.shown():
            return
        for _ in range(len(self.views) + 1):
            self._turn = (self._turn + 1) % (len(self.views) + 1)
            if self._turn == len(self.views):
                now = time.monotonic()
                if now - self._thumbnails_at >= THUMBNAIL_INTERVAL_S and self.thumbnails():
                    self._thumbnails_at = now
                    return
                continue
            view = self.views[self._turn]
            if view.dirty and view.isVisible():
                view.refresh()
                return

    def draw_all(self) -> None:
        """Everything now (the run has ended, or the user asked for another sample)."""
        self.progress()
        self.curves(True)
        for view in self.views:
            view.refresh()
        self.thumbnails()
