"""Session fixtures: each example exported to each format once, and the cnnstudio-hiding runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_support import HIDE_CNNSTUDIO, ExportCache


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> ExportCache:
    return ExportCache(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="session")
def hide_cnnstudio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runner") / "hide_cnnstudio.py"
    path.write_text(HIDE_CNNSTUDIO, encoding="utf-8")
    return path
