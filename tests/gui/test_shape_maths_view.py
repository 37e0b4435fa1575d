"""The maths behind a shape, where the user looks: the inspector's section and the node tooltip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from cnnstudio.gui.document import Document
from cnnstudio.gui.inspector import Inspector
from cnnstudio.gui.templates import new_project

CONV1_H = "H_out = ⌊(28 + 2·2 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28"


@pytest.fixture
def inspector(qtbot) -> Iterator[tuple[Inspector, Document]]:
    document = Document(new_project("lenet5"))
    widget = Inspector()
    qtbot.addWidget(widget)
    widget.set_document(document)
    yield widget, document
    document.close()


def test_inspector_shows_the_derivation_and_follows_an_edit(qtbot, inspector) -> None:
    widget, document = inspector
    document.set_selection(["conv1"])
    qtbot.waitUntil(lambda: widget.node_id == "conv1")
    text = widget.maths.text().splitlines()
    assert text[0] == CONV1_H
    assert "params = 6 · (1 · 5 · 5) + 6 = 156" in text
    assert text[-1].startswith("receptive field 5×5 of the 28×28 input")
    assert not widget.maths.isHidden()
    assert widget.maths.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    line = widget.editor("out_channels").spin.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, "32")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert document.graph.node("conv1").params["out_channels"] == 32
    qtbot.waitUntil(lambda: "params = 32 · (1 · 5 · 5) + 32 = 832" in widget.maths.text())
    assert "MACs = 32 · 28 · 28 · (1 · 5 · 5) = 627200" in widget.maths.text()


def test_inspector_hides_the_section_for_a_node_without_a_shape(qtbot, inspector) -> None:
    widget, document = inspector
    document.graph.disconnect(document.graph.inputs_of("conv2")[0])
    document.set_selection(["conv2"])
    qtbot.waitUntil(lambda: widget.node_id == "conv2")
    qtbot.waitUntil(widget.maths.isHidden)
    assert widget.maths.text() == ""


def test_node_tooltip_explains_its_shape(make_canvas: Any, graph_from_example: Any) -> None:
    canvas = make_canvas(graph_from_example("lenet5"))
    tip = canvas.scene.node_item("conv1").toolTip()
    assert "How this shape is computed:" in tip
    assert CONV1_H in tip
    assert "receptive field 5×5 of the 28×28 input" in tip
    pool2 = canvas.scene.node_item("pool2").toolTip()
    assert "receptive field 16×16 of the 28×28 input, jump 4×4" in pool2
