"""Connections from a GraphModel's psygnal signals to a QObject, cut when either side goes.

psygnal holds bound methods weakly, but a Qt object can be destroyed while its Python wrapper
lives on; a later model signal would then reach a dead C++ object. ``ModelLinks`` disconnects
everything on ``destroyed`` (or on ``unlink()``) and holds the owner only weakly, so it never
keeps a dropped scene alive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakMethod

from psygnal import SignalInstance
from PySide6.QtCore import QObject


class ModelLinks:
    def __init__(self, owner: QObject) -> None:
        self._links: list[tuple[SignalInstance, WeakMethod[Callable[..., Any]]]] = []
        owner.destroyed.connect(self.unlink)

    def connect(self, signal: SignalInstance, slot: Callable[..., Any]) -> None:
        """Connect a bound method of the owner."""
        signal.connect(slot)
        self._links.append((signal, WeakMethod(slot)))

    @property
    def linked(self) -> bool:
        return bool(self._links)

    def unlink(self) -> None:
        for signal, ref in self._links:
            slot = ref()
            if slot is not None:
                signal.disconnect(slot, missing_ok=True)
        self._links.clear()
