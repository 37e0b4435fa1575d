"""The Help menu: keyboard shortcuts, the documentation, About and Copy Diagnostics.

``install_help_menu(window)`` adds it as the menu bar's last menu; each window is opened on first
use and kept, so reopening one is instant and remembers its place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QWidget

from cnnstudio.gui.help.about import AboutDialog, diagnostics_text
from cnnstudio.gui.help.docs_viewer import DocsWindow
from cnnstudio.gui.help.shortcuts import ShortcutSheet
from cnnstudio.gui.settings import data_dir

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow


class HelpMenu(QObject):
    """Owns the Help menu's actions and the windows they open."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.shortcut_sheet: ShortcutSheet | None = None
        self.docs: DocsWindow | None = None
        self.about: AboutDialog | None = None
        menu = window.menuBar().addMenu("&Help")
        menu.setObjectName("menuHelp")
        self.menu = menu
        self.action_shortcuts = self._action(
            "actionShortcuts", "&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/"
        )
        self.action_documentation = self._action(
            "actionDocumentation",
            "&Documentation",
            self.show_documentation,
            QKeySequence(QKeySequence.StandardKey.HelpContents),
        )
        menu.addSeparator()
        self.action_copy_diagnostics = self._action(
            "actionCopyDiagnostics", "Copy &Diagnostics", self.copy_diagnostics
        )
        self.action_about = self._action("actionAbout", "&About cnnstudio", self.show_about)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)

    def _action(
        self, name: str, text: str, slot: Callable[[], None], keys: str | QKeySequence = ""
    ) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    def show_shortcuts(self) -> None:
        if self.shortcut_sheet is None:
            self.shortcut_sheet = ShortcutSheet(self.window)
        _present(self.shortcut_sheet)

    def show_documentation(self) -> None:
        if self.docs is None:
            self.docs = DocsWindow(self.window)
        _present(self.docs)

    def show_about(self) -> None:
        """Build the dialog each time: it reads the versions and device (importing torch) then."""
        if self.about is not None:
            self.about.deleteLater()
        self.about = AboutDialog(self.window)
        _present(self.about)

    def copy_diagnostics(self) -> None:
        """Versions, platform, device and settings path as plain text for a bug report."""
        text = diagnostics_text(self.window.settings.location(), str(data_dir()))
        QGuiApplication.clipboard().setText(text)
        self.window.show_message(
            "Diagnostics copied to the clipboard: paste them into a bug report."
        )


def _present(widget: QWidget) -> None:
    widget.show()
    widget.raise_()
    widget.activateWindow()


def install_help_menu(window: MainWindow) -> HelpMenu:
    """Add the Help menu as the last menu of ``window``'s menu bar."""
    return HelpMenu(window)
