"""The palette filter lists the blocks that match best first."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint

from cnnstudio.gui.editor.palette import BLOCK_TYPE_ROLE, BlockPalette


def _shown_blocks(palette: BlockPalette) -> list[str]:
    """Block names in the order the filtered tree shows them, top to bottom."""
    shown, index = [], palette.view.indexAt(QPoint(1, 1))
    while index.isValid():
        if index.data(BLOCK_TYPE_ROLE):
            shown.append(index.data(BLOCK_TYPE_ROLE))
        index = palette.view.indexBelow(index)
    return shown


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_filter_lists_exact_then_prefix_matches_first(qtbot):
    palette = BlockPalette()
    qtbot.addWidget(palette)
    palette.resize(260, 900)
    palette.show()
    qtbot.waitExposed(palette)
    unfiltered = _shown_blocks(palette)
    qtbot.keyClicks(palette.filter, "output")
    assert _shown_blocks(palette) == ["Output", "Input"]  # Input only through its category
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "elu")
    assert _shown_blocks(palette) == ["ELU", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "GELU"]
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "max")
    assert _shown_blocks(palette)[:2] == ["MaxPool2d", "AdaptiveMaxPool2d"]  # prefix first
    palette.filter.clear()
    assert _shown_blocks(palette) == unfiltered  # the categories' own order again
