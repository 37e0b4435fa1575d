"""An Output that does not fit the dataset's classes is an issue as soon as the dataset is known."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget

from cnnstudio.gui.main_window import MainWindow

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def window(shown_window) -> MainWindow:
    return shown_window()


def _issue_rows(issues: QListWidget) -> list[str]:
    return [issues.item(i).text() for i in range(issues.count())]


def test_wrong_output_size_is_listed_on_the_layer_with_the_fix(
    qtbot, window: MainWindow, mouse_on
) -> None:
    issues = window.findChild(QListWidget, "issuesList")
    assert (
        window.document.analysis.analysis.valid
    )  # LeNet-5 ends in 10 values: the shapes' 10 classes
    mouse_on(window.view).click(window.scene.node_item("fc3").pos())
    spin = window.inspector.editor("out_features").spin
    spin.selectAll()
    qtbot.keyClicks(spin.lineEdit(), "7")
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    expected = (
        "fc3 (Linear): 7 outputs but dataset 'shapes' has 10 classes — set out_features to 10"
    )
    qtbot.waitUntil(lambda: expected in _issue_rows(issues))
    assert [(i.node, i.message) for i in window.document.analysis.analysis.errors] == [
        ("fc3", expected)
    ]

    window.scene.clearSelection()
    row = _issue_rows(issues).index(expected)
    rect = issues.visualItemRect(issues.item(row))
    qtbot.mouseClick(issues.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["fc3"]  # the row leads to the node at fault

    # Another dataset: the count comes from the catalogue, without loading any data.
    source = window.dashboard.data_panel.source_box
    source.setFocus()
    source.setCurrentIndex(source.findData("cifar100") - 1)
    qtbot.keyClick(source, Qt.Key.Key_Down)
    assert window.document.project.dataset["source"] == "cifar100"
    qtbot.waitUntil(
        lambda: (
            "fc3 (Linear): 7 outputs but dataset 'cifar100' has 100 classes — set "
            "out_features to 100" in _issue_rows(issues)
        )
    )
    window.document.undo_stack.undo()  # the dataset change
    window.document.undo_stack.undo()  # out_features back to 10
    qtbot.waitUntil(lambda: not any("classes" in row for row in _issue_rows(issues)))
    assert window.document.analysis.analysis.valid
