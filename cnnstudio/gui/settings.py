"""Persistent preferences (window layout, recent files, theme, autosave) in QSettings.

Tests set ``CNNSTUDIO_NO_SETTINGS=1``: values then live in this process's memory only (shared by
every window, as QSettings would be), so a test run neither reads nor changes the user's
preferences.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

MAX_RECENT = 10
MAX_AUTOSAVE_INTERVAL_S = 24 * 3600.0
AUTOSAVE_INTERVAL_KEY = "autosave/interval_s"
DEFAULT_AUTOSAVE_INTERVAL_S = 30.0
_MEMORY: dict[str, Any] = {}


class Settings:
    def __init__(self) -> None:
        self._qsettings: QSettings | None = (
            None
            if os.environ.get("CNNSTUDIO_NO_SETTINGS") == "1"
            else QSettings("cnnstudio", "cnnstudio")
        )
        self._memory = _MEMORY

    def value(self, key: str, default: Any = None) -> Any:
        if self._qsettings is None:
            return self._memory.get(key, default)
        return self._qsettings.value(key, default)

    def set_value(self, key: str, value: Any) -> None:
        if self._qsettings is None:
            self._memory[key] = value
        else:
            self._qsettings.setValue(key, value)

    def bytes_value(self, key: str) -> QByteArray | None:
        value = self.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def location(self) -> str:
        """Where the preferences live, for bug reports: the file (or registry key) QSettings uses."""
        if self._qsettings is None:
            return "this process's memory (CNNSTUDIO_NO_SETTINGS=1)"
        return self._qsettings.fileName()

    def autosave_interval_s(self) -> float:
        """Seconds from an edit to its autosave; 0 turns autosave off. A bad value is the default."""
        try:
            seconds = float(self.value(AUTOSAVE_INTERVAL_KEY, DEFAULT_AUTOSAVE_INTERVAL_S))
        except (TypeError, ValueError):  # QSettings hands back text from an edited file
            return DEFAULT_AUTOSAVE_INTERVAL_S
        return seconds if 0 <= seconds <= MAX_AUTOSAVE_INTERVAL_S else DEFAULT_AUTOSAVE_INTERVAL_S

    # ---- recent files ----------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.value("recent_files", [])
        if isinstance(value, str):  # QSettings returns a one-item list as a plain string
            value = [value]
        return [str(v) for v in value or []][:MAX_RECENT]

    def add_recent_file(self, path: str | os.PathLike[str]) -> None:
        """Remember a project just opened or saved, and its folder for the next file dialog."""
        entry = Path(path).resolve()
        files = [str(entry)] + [f for f in self.recent_files() if f != str(entry)]
        self.set_value("recent_files", files[:MAX_RECENT])
        self.set_value("last_folder", str(entry.parent))

    def last_folder(self) -> Path:
        """Where the last project was opened or saved (home until then, or if it is gone)."""
        value = self.value("last_folder")
        folder = Path(str(value)) if value else None
        return folder if folder is not None and folder.is_dir() else Path.home()

    def remove_recent_file(self, path: str) -> None:
        self.set_value("recent_files", [f for f in self.recent_files() if f != path])

    def clear_recent_files(self) -> None:
        self.set_value("recent_files", [])


def data_dir() -> Path:
    """The app's own data folder (autosaves, runs of unsaved projects); tests and portable setups
    point ``CNNSTUDIO_DATA_DIR`` elsewhere so the user's folder is never touched."""
    override = os.environ.get("CNNSTUDIO_DATA_DIR")
    if override:
        return Path(override)
    location = QStandardPaths.StandardLocation.AppLocalDataLocation
    return Path(QStandardPaths.writableLocation(location) or Path.home() / ".cnnstudio")
