"""Start the editor: ``cnnstudio`` opens the LeNet-5 example, ``cnnstudio FILE`` opens FILE."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from cnnstudio.gui import theme
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.settings import Settings


def run_app(path: str | None) -> int:
    """Create the application (or reuse a running one), show the window, run the event loop."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("cnnstudio")
    app.setOrganizationName("cnnstudio")
    app.setApplicationDisplayName("cnnstudio")
    app.setWindowIcon(theme.app_icon())
    name = Settings().value("theme", "light")
    theme.apply_theme(app, name if name in theme.THEMES else "light")
    window = MainWindow(path)
    window.show()
    return app.exec()
