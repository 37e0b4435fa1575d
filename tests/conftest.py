"""Test-wide setup: Qt runs offscreen, preferences stay in memory, app data in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")


@pytest.fixture(autouse=True)
def app_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own app data folder (autosaves, runs of unsaved projects), never the user's;
    a fresh one per test, so no test finds another's autosave and is offered to restore it."""
    folder = tmp_path_factory.mktemp("app-data")
    monkeypatch.setenv("CNNSTUDIO_DATA_DIR", str(folder))
    return folder
