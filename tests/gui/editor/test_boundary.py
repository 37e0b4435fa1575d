"""Inside a group the canvas shows where the group's own ports are: its inputs coming into the
inner ports they feed, named, and its output leaving the block that gives it."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from PySide6.QtCore import QPointF

from cnnstudio.core.commands import Move
from cnnstudio.gui.editor.boundary import BoundaryMark

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def marks(scene: Any) -> set[tuple[str, bool, int, str]]:
    return {
        (m.port.node.node_id, m.port.is_input, m.port.index, m.name)
        for m in scene.items()
        if isinstance(m, BoundaryMark)
    }


def test_the_groups_ports_are_marked_inside_it_and_follow_its_blocks(shown_window: Any) -> None:
    window = shown_window()
    assert window.new_project("resnet18")
    assert not marks(window.scene)  # at the top there is no group edge to mark
    window.document.enter("layer1")  # a BasicBlock: conv1 and the skip into add take its input
    scene = window.scene
    expected = {
        ("conv1", True, 0, "conv1"),
        ("add", True, 1, "conv1"),
        ("relu2", False, 0, "output"),
    }
    assert marks(scene) == expected
    gc.collect()  # the marks belong to their nodes' items, not to a Python list
    assert marks(scene) == expected

    mark = next(m for m in scene.items() if isinstance(m, BoundaryMark) and m.name == "output")
    before = mark.scenePos()
    node = window.document.editing.node("relu2")
    window.document.push(Move({"relu2": (node.position[0] + 50.0, node.position[1])}))
    assert mark.scenePos() == before + QPointF(50.0, 0.0)  # it moves with its block
    line = mark._line()
    assert line.p1() == mark.port.pos()  # from the output port, outwards
    assert line.p2().x() > line.p1().x()

    window.document.leave()
    assert not marks(window.scene)
