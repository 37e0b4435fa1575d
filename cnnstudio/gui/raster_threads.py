"""While a run trains, Qt's raster engine draws on one helper thread, not one per core.

Qt fills, blends and converts any area taller than ~96 lines (a plot's background, a tab page,
a large image) on a thread pool of its own with a thread per core, and the GUI thread waits for
them. While torch trains on every core but the editor's, those helpers took the trainer's core
several times a second: on a 2-core machine the in-app run lost ~3 % of its speed to them. With
one helper the same work runs, in turn, on the editor's core.

Qt has no public handle on that pool (``QGuiApplicationPrivate::qtGuiThreadPool``), so it is
found by its exported symbol; where that fails (another platform, another Qt) nothing changes.
"""

from __future__ import annotations

import ctypes

import shiboken6
from PySide6 import QtGui
from PySide6.QtCore import QThreadPool

SYMBOL = "_ZN22QGuiApplicationPrivate15qtGuiThreadPoolEv"  # Itanium C++ ABI (Linux, macOS)
WHILE_TRAINING = 1


def raster_pool() -> QThreadPool | None:
    """Qt's GUI thread pool, or None where it cannot be reached."""
    try:
        # dlsym on the binding module's handle also searches the Qt library it links to
        function = getattr(ctypes.CDLL(QtGui.__file__), SYMBOL)
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_void_p
    address = function()
    pool = shiboken6.wrapInstance(address, QThreadPool) if address else None
    return pool if isinstance(pool, QThreadPool) else None


class RasterThreadLimit:
    """Holds Qt's raster helpers to ``WHILE_TRAINING`` threads between ``hold`` and ``release``."""

    def __init__(self) -> None:
        self._saved: int | None = None

    def hold(self) -> None:
        pool = raster_pool()
        if pool is not None and self._saved is None:
            self._saved = pool.maxThreadCount()
            pool.setMaxThreadCount(WHILE_TRAINING)

    def release(self) -> None:
        pool, saved, self._saved = raster_pool(), self._saved, None
        if pool is not None and saved is not None:
            pool.setMaxThreadCount(saved)
