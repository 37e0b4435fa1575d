"""Data whose class count only the files tell (an npz, a folder): known once the Data tab loads it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QListWidget

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
LOAD_MS = 30_000


def test_loaded_archive_tells_the_issues_list_its_classes(
    qtbot, window, dashboard, tmp_path, monkeypatch
) -> None:
    archive = tmp_path / "digits.npz"
    rng = np.random.default_rng(0)
    np.savez(
        archive,
        x=rng.integers(0, 255, (40, 1, 28, 28), dtype=np.uint8),
        y=np.arange(40) % 4,
        x_val=rng.integers(0, 255, (8, 1, 28, 28), dtype=np.uint8),
        y_val=np.arange(8) % 4,
    )
    with qtbot.waitSignal(dashboard.loader.loaded, timeout=LOAD_MS):
        dashboard.tabs.setCurrentWidget(dashboard.data_panel)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(archive), ""))
    box = dashboard.data_panel.source_box
    box.setFocus()
    box.setCurrentIndex(box.findData("npz") - 1)
    with qtbot.waitSignal(dashboard.loader.loaded, timeout=LOAD_MS):
        qtbot.keyClick(box, Qt.Key.Key_Down)  # the user picks "npz" and its file
    issues = window.findChild(QListWidget, "issuesList")
    expected = (
        "fc3 (Linear): 10 outputs but dataset 'digits.npz' has 4 classes — set out_features to 4"
    )
    qtbot.waitUntil(lambda: expected in [issues.item(i).text() for i in range(issues.count())])
