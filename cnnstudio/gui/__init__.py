"""The PySide6 application: the only package that imports Qt or pyqtgraph.

``MainWindow`` is imported on first use, so importing ``cnnstudio.gui`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from cnnstudio.gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'cnnstudio.gui' has no attribute {name!r}")
