"""Start the editor: ``cnnstudio`` opens the LeNet-5 example, ``cnnstudio FILE`` opens FILE;
after a crash it first offers to restore the projects left unsaved."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from cnnstudio.core.recovery import RecoveredProject
from cnnstudio.gui import theme
from cnnstudio.gui.autosave import ask_recovery
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.settings import Settings, data_dir


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
    windows = [window]  # kept alive while the app runs
    for recovered in ask_recovery(window, data_dir()):  # a crash left unsaved projects
        _window_for(recovered, windows, path).restore_recovered(recovered)
    return app.exec()


def _window_for(
    recovered: RecoveredProject, windows: list[MainWindow], asked: str | None
) -> MainWindow:
    """The start window, unless it holds a restored project or a file the user asked for that
    is not the one recovered; else a new window beside it."""
    first = windows[0]
    same_file = asked is not None and recovered.file == Path(asked).resolve()
    if not first.document.modified and (asked is None or same_file):
        return first
    windows.append(MainWindow())
    windows[-1].show()
    return windows[-1]
