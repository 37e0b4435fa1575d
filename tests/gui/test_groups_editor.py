"""Groups in the editor, driven as a user does: select with the mouse, Ctrl+G, double-click to
enter, the breadcrumb and Esc to leave, the inspector's group form, drags from "Project blocks"."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QMenu

from cnnstudio.core.graph import Edge
from cnnstudio.core.project import EXTENSION, VERSION, graph_to_dict
from cnnstudio.core.shipped import examples_dir
from cnnstudio.gui.editor.group_item import GroupItem
from cnnstudio.gui.main_window import MainWindow

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

_CTRL = Qt.KeyboardModifier.ControlModifier
_CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def named(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer the group-name question with the name offered; records each name offered."""
    offered: list[str] = []

    def answer(*args: Any, **kwargs: Any) -> tuple[str, bool]:
        offered.append(kwargs["text"])
        return kwargs["text"], True

    monkeypatch.setattr(QInputDialog, "getText", answer)
    return offered


def _settle(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.document.analysis.pending, timeout=2000)


def _select(window: MainWindow, mouse: Any, ids: list[str]) -> None:
    """Click the first node, Ctrl+click the others, as a user selects several blocks."""
    scene = window.scene
    assert scene is not None
    for i, node_id in enumerate(ids):
        window.view.centerOn(scene.node_item(node_id))
        mouse.click(scene.node_item(node_id).pos(), _CTRL if i else Qt.KeyboardModifier.NoModifier)
    assert scene.selected_node_ids() == ids


def _keys(window: MainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    """Press keys on the canvas of the active window (where the window's shortcuts work)."""
    window.view.setFocus()
    QTest.keyClick(window.view, key, modifiers)


@pytest.fixture
def window(qtbot: Any, shown_window: Any) -> MainWindow:
    made: MainWindow = shown_window()
    made.activateWindow()
    qtbot.waitActive(made)
    return made


def _open_resnet18(window: MainWindow, qtbot: Any) -> None:
    assert window.new_project("resnet18")  # File > New from Template > ResNet-18
    _settle(qtbot, window)


def test_group_and_ungroup_from_the_canvas_round_trip_exactly(
    qtbot, window, mouse_on, named
) -> None:
    graph, stack = window.document.graph, window.document.undo_stack
    before = graph_to_dict(graph)
    _settle(qtbot, window)
    assert window.scene is not None
    pooled = window.scene.node_item("pool1").shape_text
    _select(window, mouse_on(window.view), ["conv1", "relu1", "pool1"])
    _keys(window, Qt.Key.Key_G, _CTRL)
    assert named == ["Block1"]
    (group,) = [n for n in graph if n.is_group]
    assert group.definition == "Block1"
    inner = graph.definitions.get("Block1").graph
    assert [n.id for n in inner] == ["conv1", "relu1", "pool1"]
    assert {"conv1", "relu1", "pool1"}.isdisjoint(n.id for n in graph)
    assert Edge("input", group.id) in graph.edges
    assert Edge(group.id, "conv2") in graph.edges
    scene = window.scene
    assert scene is not None
    item = scene.node_item(group.id)
    assert isinstance(item, GroupItem)
    assert item.type_label() == "Block1"
    assert [i.node_id for i in scene.group_items()] == [group.id]
    assert "conv1" not in {i.node_id for i in scene.node_items()}
    assert scene.selected_node_ids() == [group.id]
    _settle(qtbot, window)
    assert item.shape_text == pooled  # the group gives what its last block gave
    assert window.block_palette.definition_index("Block1").isValid()

    _keys(window, Qt.Key.Key_G, _CTRL_SHIFT)
    assert graph_to_dict(graph) == before
    assert scene.group_items() == []
    assert {"conv1", "relu1", "pool1"} <= {i.node_id for i in scene.node_items()}
    assert not window.block_palette.definition_index("Block1").isValid()

    window.action_undo.trigger()  # back to the group
    assert [n.id for n in graph if n.is_group] == [group.id]
    assert isinstance(scene.node_item(group.id), GroupItem)
    window.action_undo.trigger()  # and to the blocks as they were
    assert graph_to_dict(graph) == before
    assert stack.isClean()


def test_a_selection_that_cannot_be_one_group_is_refused_saying_why(
    qtbot, window, mouse_on, named
) -> None:
    before = graph_to_dict(window.document.graph)
    _select(window, mouse_on(window.view), ["input", "conv1"])
    _keys(window, Qt.Key.Key_G, _CTRL)
    assert named == []  # refused before a name is asked
    assert "input (Input) cannot go inside a group" in window.statusBar().currentMessage()
    assert graph_to_dict(window.document.graph) == before
    assert window.document.undo_stack.count() == 0


def test_double_click_enters_a_group_and_the_breadcrumb_or_esc_leaves(
    qtbot, window, mouse_on
) -> None:
    _open_resnet18(window, qtbot)
    scene = window.scene
    assert scene is not None
    assert not window.breadcrumb.isVisible()
    window.view.centerOn(scene.node_item("layer1"))
    mouse_on(window.view).double_click(scene.node_item("layer1").pos())
    inside = window.scene
    assert inside is not scene
    assert inside is not None
    assert window.document.scope_path == "layer1"
    assert {i.node_id for i in inside.node_items()} == {
        "conv1",
        "bn1",
        "relu1",
        "conv2",
        "bn2",
        "add",
        "relu2",
    }
    _settle(qtbot, window)
    assert inside.node_item("conv2").shape_text == "64x56x56"  # shapes of this instance
    assert window.breadcrumb.isVisible()
    assert [c.text() for c in window.breadcrumb.crumbs] == ["ResNet-18", "layer1 (BasicBlock)"]
    assert window.action_leave_group.isEnabled()

    inside.select_nodes(["conv1"])  # the network has a conv1 too: not the one selected
    assert window.inspector.node_id == "conv1"
    qtbot.mouseClick(window.breadcrumb.crumbs[0], Qt.MouseButton.LeftButton)
    assert window.document.scope == []
    assert window.document.selection == []
    assert window.inspector.node_id is None
    assert window.scene is not None
    assert "layer1" in {i.node_id for i in window.scene.node_items()}
    assert not window.breadcrumb.isVisible()

    window.scene.select_nodes(["layer2_0"])
    window.inspector.edit_definition_button.click()
    assert window.document.scope_path == "layer2_0"
    assert "downsample" in {i.node_id for i in window.scene.node_items()}
    _keys(window, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    assert window.document.scope == []
    assert window.document.undo_stack.count() == 0  # looking inside is no edit


def test_an_edit_inside_a_definition_updates_every_instance_and_undoes(
    qtbot, window, mouse_on
) -> None:
    _open_resnet18(window, qtbot)
    document = window.document
    users = [n.id for n in document.graph if n.is_group and n.definition == "BasicBlock"]
    assert users == ["layer1", "layer2_1", "layer3_1", "layer4_1"]
    document.enter("layer1")  # the first user: the instances after it wait for it to be fixed
    inside = window.scene
    assert inside is not None
    mouse = mouse_on(window.view)
    window.view.centerOn(inside.node_item("conv2"))
    mouse.click(inside.node_item("conv2").pos())
    _keys(window, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    assert "conv2" not in document.editing
    _settle(qtbot, window)
    assert inside.node_item("bn2").status == "error"  # its input is gone
    issues = window.issues
    rows = [issues.item(i).text() for i in range(issues.count())]
    assert any(r.startswith("layer1.0/bn2 (BatchNorm2d)") for r in rows), rows

    _keys(window, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    scene = window.scene
    assert scene is not None
    for node_id in users:
        item = scene.node_item(node_id)
        assert isinstance(item, GroupItem)
        assert "conv2" not in [m.id for m in item.face.nodes]
        assert item.status == ("error" if node_id == "layer1" else "unknown")  # after layer1
    scene.set_expanded(["layer1"], True)
    frame = scene.node_item("layer1").frame  # type: ignore[attr-defined]
    assert frame.isVisible()
    assert "conv2" not in frame.places

    # The issue of a block inside a group takes the canvas there, with the block selected.
    row = next(i for i in range(issues.count()) if issues.item(i).text().startswith("layer1.0/"))
    issues.itemClicked.emit(issues.item(row))
    assert document.scope_path == "layer1"
    assert window.scene is not None
    assert window.scene.selected_node_ids() == ["bn2"]

    window.action_undo.trigger()
    _settle(qtbot, window)
    assert "conv2" in document.graph.definitions.get("BasicBlock").graph
    assert "conv2" in {i.node_id for i in window.scene.node_items()}
    document.leave(0)
    scene = window.scene
    for node_id in users:
        item = scene.node_item(node_id)
        assert isinstance(item, GroupItem)
        assert "conv2" in [m.id for m in item.face.nodes]
        assert item.status == "ok"
    assert document.undo_stack.isClean()


def _type_definition_name(qtbot: Any, window: MainWindow, name: str) -> None:
    """Type ``name`` over the inspector's Definition field and press Enter."""
    field = window.inspector.definition_value
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, name)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_typing_a_definition_name_in_the_inspector_renames_it_everywhere(qtbot, window) -> None:
    _open_resnet18(window, qtbot)
    document, scene, inspector = window.document, window.scene, window.inspector
    assert scene is not None
    users = document.graph.definitions.users("BasicBlock")
    scene.select_nodes(["layer1"])
    _type_definition_name(qtbot, window, "ResBlock")
    assert document.graph.definitions.users("ResBlock") == users
    assert "BasicBlock" not in document.graph.definitions
    for node_id in users:
        item = scene.node_item(node_id)
        assert isinstance(item, GroupItem)
        assert item.type_label() == "ResBlock"
    assert window.block_palette.definition_index("ResBlock").isValid()
    assert not window.block_palette.definition_index("BasicBlock").isValid()
    assert document.undo_stack.undoText() == "Rename group BasicBlock to ResBlock"
    # a taken or invalid name is refused, with the reason, and the field shows the name again
    _type_definition_name(qtbot, window, "DownBlock")
    assert inspector.refusal.isVisible()
    assert "already exists" in inspector.refusal.text()
    assert inspector.definition_value.text() == "ResBlock"
    assert "DownBlock" in document.graph.definitions
    # inside, the breadcrumb names the new name; Undo brings the old one back everywhere
    document.enter("layer1")
    assert [c.text() for c in window.breadcrumb.crumbs] == ["ResNet-18", "layer1 (ResBlock)"]
    window.action_undo.trigger()  # back where the rename was made, at the top
    assert document.scope_path == ""
    assert document.graph.definitions.users("BasicBlock") == users
    document.enter("layer1")
    assert [c.text() for c in window.breadcrumb.crumbs] == ["ResNet-18", "layer1 (BasicBlock)"]
    assert window.block_palette.definition_index("BasicBlock").isValid()


def test_inspector_sets_parameters_repeat_and_makes_an_instance_unique(qtbot, window) -> None:
    _open_resnet18(window, qtbot)
    document, scene = window.document, window.scene
    assert scene is not None
    scene.select_nodes(["layer4_1"])
    inspector = window.inspector
    assert inspector.group_box.isVisible()
    assert inspector.definition_value.text() == "BasicBlock"
    assert list(inspector.editors) == ["channels"]
    assert inspector.editor("channels").value() == 512

    inspector.repeat_edit.setValue(3)
    assert document.graph.node("layer4_1").repeat == 3
    _settle(qtbot, window)
    item = scene.node_item("layer4_1")
    assert isinstance(item, GroupItem)
    assert item.repeat == 3
    assert item.status == "ok"  # 512x7x7 in and out: it may repeat

    inspector.make_unique_button.click()
    assert document.graph.node("layer4_1").definition == "BasicBlock_2"
    assert inspector.definition_value.text() == "BasicBlock_2"
    assert item.type_label() == "BasicBlock_2"
    assert window.block_palette.definition_index("BasicBlock_2").isValid()
    assert document.graph.node("layer1").definition == "BasicBlock"

    window.action_undo.trigger()
    assert document.graph.node("layer4_1").definition == "BasicBlock"
    assert not window.block_palette.definition_index("BasicBlock_2").isValid()
    window.action_undo.trigger()
    assert document.graph.node("layer4_1").repeat == 1
    assert inspector.repeat_edit.value() == 1
    assert document.undo_stack.isClean()


def _drop(window: MainWindow, mime: QMimeData, at: QPoint) -> QDropEvent:
    viewport = window.view.viewport()
    action, buttons, mods = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, QDragEnterEvent(at, action, mime, buttons, mods))
    QApplication.sendEvent(viewport, QDragMoveEvent(at, action, mime, buttons, mods))
    event = QDropEvent(QPointF(at), action, mime, buttons, mods)
    QApplication.sendEvent(viewport, event)
    return event


def test_a_project_block_dragged_from_the_palette_is_a_new_instance(qtbot, window) -> None:
    _open_resnet18(window, qtbot)
    palette, document = window.block_palette, window.document
    tree = palette.view
    project = tree.model().index(0, 0)
    assert project.data() == "Project blocks"
    shown = [
        tree.model().index(r, 0, project).data() for r in range(tree.model().rowCount(project))
    ]
    assert shown == ["BasicBlock", "DownBlock"]
    mime = tree.model().mimeData([palette.definition_index("DownBlock")])
    at = QPoint(300, 600)
    before = len(document.graph)
    event = _drop(window, mime, at)
    assert event.isAccepted()
    assert len(document.graph) == before + 1
    node = document.graph.node("downblock_1")
    assert node.is_group
    assert node.definition == "DownBlock"
    assert node.params == {}
    where = window.view.mapToScene(at)
    assert node.position == (where.x(), where.y())
    assert window.scene is not None
    assert isinstance(window.scene.node_item("downblock_1"), GroupItem)
    window.action_undo.trigger()
    assert "downblock_1" not in document.graph

    # Inside a definition, its own block cannot be dropped: a group never contains itself.
    document.enter("layer2_0")
    _drop(window, mime, at)
    assert "downblock_1" not in document.editing
    assert "cannot go inside" in window.statusBar().currentMessage()


def test_copied_groups_bring_their_definitions_and_paste_without_changing_others(
    qtbot, window, shown_window
) -> None:
    _open_resnet18(window, qtbot)
    source = window.document.graph
    assert window.scene is not None
    window.scene.select_nodes(["layer1", "layer2_0"])
    window.action_duplicate.trigger()  # same project: the definitions are reused
    added = [n for n in window.scene.selected_node_ids()]
    assert [source.node(n).definition for n in added] == ["BasicBlock", "DownBlock"]
    assert source.definitions.names == ["BasicBlock", "DownBlock"]
    assert source.node(added[0]).repeat == 2
    window.action_undo.trigger()
    window.scene.select_nodes(["layer1"])
    window.action_copy.trigger()

    other = shown_window()  # LeNet-5: no definitions yet
    other.action_paste.trigger()
    (pasted,) = [n for n in other.document.graph if n.is_group]
    assert pasted.definition == "BasicBlock"
    assert pasted.repeat == 2
    theirs = other.document.graph.definitions.get("BasicBlock")
    assert graph_to_dict(theirs.graph) == graph_to_dict(source.definitions.get("BasicBlock").graph)
    assert other.block_palette.definition_index("BasicBlock").isValid()

    # A different BasicBlock there: the pasted one comes in beside it, under a free name.
    other.document.enter(pasted.id)
    other.document.editing.set_params("conv1", {"kernel_size": 5, "padding": 2})
    other.document.leave()
    other.action_paste.trigger()
    names = [n.definition for n in other.document.graph if n.is_group]
    assert names == ["BasicBlock", "BasicBlock_2"]
    assert (
        other.document.graph.definitions.get("BasicBlock").graph.node("conv1").params["kernel_size"]
        == 5
    )
    other.action_undo.trigger()
    assert other.document.graph.definitions.names == ["BasicBlock"]


def test_opening_a_version_1_file_says_it_was_upgraded(qtbot, window, tmp_path) -> None:
    doc = json.loads((examples_dir() / f"lenet5{EXTENSION}").read_text(encoding="utf-8"))
    doc["version"] = 1
    del doc["graph"]["definitions"]
    old = tmp_path / f"old{EXTENSION}"
    old.write_text(json.dumps(doc), encoding="utf-8")
    assert window.open_project(old)
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Opened {old}")
    assert f"a version 1 file, upgraded to version {VERSION}" in message
    assert not window.document.modified  # upgraded in memory; the file is as it was
    assert json.loads(old.read_text(encoding="utf-8"))["version"] == 1
    assert window.save()
    assert json.loads(old.read_text(encoding="utf-8"))["version"] == VERSION
    newer = tmp_path / f"new{EXTENSION}"
    newer.write_text(old.read_text(encoding="utf-8"), encoding="utf-8")
    assert window.open_project(newer)
    assert "upgraded" not in window.statusBar().currentMessage()


def test_inside_a_group_its_inputs_and_output_show_as_connected(qtbot, window) -> None:
    _open_resnet18(window, qtbot)
    window.document.enter("layer1")
    _settle(qtbot, window)
    scene = window.scene
    assert scene is not None
    conv1, add, relu2 = (scene.node_item(n) for n in ("conv1", "add", "relu2"))
    assert conv1.inputs[0].connected  # fed by the group's input
    assert add.inputs[1].connected  # the skip connection, from the same input
    assert relu2.output is not None
    assert relu2.output.connected  # gives the group's output
    scene.select_nodes(["add"])
    inspector = window.inspector
    assert inspector.inputs_value.text().splitlines() == [
        "64x56x56  from bn2",
        "64x56x56  from the group's input conv1",
    ]
    assert inspector.output_value.text() == "64x56x56"


def test_a_parameter_inside_a_group_is_exposed_and_set_per_instance(qtbot, window, named) -> None:
    _open_resnet18(window, qtbot)
    document, inspector = window.document, window.inspector
    document.enter("layer1")
    assert window.scene is not None
    window.scene.select_nodes(["conv2"])
    label = inspector.findChild(QLabel, "label_out_channels")
    assert label.text() == "out_channels → channels"  # bound already, with conv1's

    inspector.param_menu("out_channels").findChild(QAction, "actionUnexposeParam").trigger()
    assert inspector.findChild(QLabel, "label_out_channels").text() == "out_channels"
    bindings = document.graph.definitions.get("BasicBlock").exposed("channels").bindings
    assert bindings == (("conv1", "out_channels"),)
    # The last binding cannot go while instances set the parameter it would take away.
    window.scene.select_nodes(["conv1"])
    inspector.param_menu("out_channels").findChild(QAction, "actionUnexposeParam").trigger()
    assert "channels" in inspector.refusal.text()
    assert document.graph.definitions.get("BasicBlock").exposed("channels").bindings == bindings
    window.action_undo.trigger()  # conv2 is bound again
    assert inspector.findChild(QLabel, "label_out_channels").text() == "out_channels → channels"

    menu = inspector.param_menu("kernel_size")
    menu.findChild(QAction, "actionExposeParam").trigger()
    assert named == ["kernel_size"]
    definition = document.graph.definitions.get("BasicBlock")
    assert [p.name for p in definition.params] == ["channels", "kernel_size"]
    assert inspector.findChild(QLabel, "label_kernel_size").text() == "kernel_size → kernel_size"

    document.leave()
    assert window.scene is not None
    window.scene.select_nodes(["layer3_1"])
    assert list(inspector.editors) == ["channels", "kernel_size"]
    inspector.editor("kernel_size").committed.emit([1, 1])
    assert document.graph.node("layer3_1").params == {"channels": 256, "kernel_size": [1, 1]}
    _settle(qtbot, window)
    item = window.scene.node_item("layer3_1")
    assert "kernel_size=1x1" in item.summary
    assert document.graph.node("layer1").params == {}  # the other instances keep the default

    window.action_undo.trigger()
    window.action_undo.trigger()
    assert [p.name for p in document.graph.definitions.get("BasicBlock").params] == ["channels"]
    assert document.undo_stack.isClean()


def test_blocks_caught_in_a_rubber_band_group_in_one_step(qtbot, window, mouse_on, named) -> None:
    graph = window.document.graph
    scene = window.scene
    assert scene is not None
    left, right = scene.node_item("conv1"), scene.node_item("pool1")
    start = left.sceneBoundingRect().topLeft() - QPointF(20, 20)
    end = right.sceneBoundingRect().bottomRight() + QPointF(10, 10)
    window.view.fitInView(start.x() - 40, start.y() - 40, end.x() - start.x() + 80, 300)
    mouse_on(window.view).drag(start, end)
    assert scene.selected_node_ids() == ["conv1", "relu1", "pool1"]
    _keys(window, Qt.Key.Key_G, _CTRL)
    (group,) = [n for n in graph if n.is_group]
    assert [n.id for n in graph.definitions.get(group.definition).graph] == [
        "conv1",
        "relu1",
        "pool1",
    ]
    assert window.document.undo_stack.count() == 1

    # Double-clicking the project block in the palette adds another instance.
    palette = window.block_palette
    palette.view.activated.emit(palette.definition_index(group.definition))
    instances = [n.id for n in graph if n.is_group]
    assert len(instances) == 2
    assert graph.node(instances[1]).definition == group.definition
    assert scene.selected_node_ids() == [instances[1]]


def test_undoing_the_group_while_inside_it_takes_the_canvas_back_up(
    qtbot, window, mouse_on, named
) -> None:
    graph = window.document.graph
    before = graph_to_dict(graph)
    _select(window, mouse_on(window.view), ["conv2", "relu2"])
    _keys(window, Qt.Key.Key_G, _CTRL)
    scene = window.scene
    assert scene is not None
    (group,) = scene.selected_node_ids()
    window.view.centerOn(scene.node_item(group))
    mouse_on(window.view).double_click(scene.node_item(group).pos())
    assert window.document.scope_path == group
    assert window.breadcrumb.isVisible()
    _keys(window, Qt.Key.Key_Z, _CTRL)
    assert window.document.scope == []
    assert not window.breadcrumb.isVisible()
    assert graph_to_dict(graph) == before
    assert window.scene is not None
    assert {"conv2", "relu2"} <= {i.node_id for i in window.scene.node_items()}


def test_right_click_on_a_group_offers_the_group_edits(qtbot, window) -> None:
    _open_resnet18(window, qtbot)
    scene = window.scene
    assert scene is not None
    window.view.centerOn(scene.node_item("layer3_1"))
    at = window.view.mapFromScene(scene.node_item("layer3_1").pos())
    seen: list[str] = []

    def choose() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        seen.extend(a.objectName() for a in menu.actions() if a.isEnabled())
        menu.hide()
        window.action_expand_group.trigger()

    QTimer.singleShot(0, choose)
    window.view.customContextMenuRequested.emit(at)
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert scene.selected_node_ids() == ["layer3_1"]  # the block clicked is what it acts on
    assert {"actionGroup", "actionUngroup", "actionEnterGroup", "actionExpandGroup"} <= set(seen)
    assert scene.node_item("layer3_1").expanded  # type: ignore[attr-defined]
    assert window.document.undo_stack.count() == 0  # expanding is a view choice


def test_the_tab_under_a_group_expands_and_collapses_it(qtbot, window, mouse_on) -> None:
    _open_resnet18(window, qtbot)
    scene = window.scene
    assert scene is not None
    item = scene.node_item("layer2_1")
    assert isinstance(item, GroupItem)
    window.view.resetTransform()
    window.view.centerOn(item)
    tab = item.mapToScene(item.toggle_rect().center())
    mouse = mouse_on(window.view)
    mouse.click(tab)
    assert item.expanded
    assert item.frame.isVisible()
    assert set(item.frame.places) == {n.id for n in item.face.nodes}
    window.document.enter("layer1")
    window.document.leave()  # the choice is kept while the canvas goes in and out
    scene = window.scene
    assert scene is not None
    again = scene.node_item("layer2_1")
    assert isinstance(again, GroupItem)
    assert again.expanded
    # the canvas shown again is fitted (zoomed out): the tab's upper half must take the click too
    window.view.centerOn(again)
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # a second click, not a double click
    mouse.click(again.mapToScene(again.toggle_rect().center()))
    assert not again.expanded
    assert window.document.undo_stack.count() == 0
