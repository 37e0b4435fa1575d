"""Every palette block and every inspector field explains itself from its spec on hover."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from cnnstudio.core.blocks import all_specs, get_spec
from cnnstudio.core.graph import GraphModel, Node
from cnnstudio.core.params import Param
from cnnstudio.core.project import Project
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.palette import BLOCK_TYPE_ROLE, BlockPalette
from cnnstudio.gui.inspector import Inspector
from cnnstudio.gui.param_editors import param_tooltip


def test_every_palette_block_has_its_spec_help_as_tooltip(qtbot) -> None:
    palette = BlockPalette()
    qtbot.addWidget(palette)
    model = palette.view.model()
    seen = []
    for row in range(model.rowCount()):
        group = model.index(row, 0)
        for child in range(model.rowCount(group)):
            index = model.index(child, 0, group)
            spec = get_spec(index.data(BLOCK_TYPE_ROLE))
            tip = index.data(Qt.ItemDataRole.ToolTipRole)
            assert spec.help, spec.type
            assert spec.help in tip, spec.type
            seen.append(spec.type)
    assert sorted(seen) == sorted(s.type for s in all_specs())


@pytest.mark.parametrize("spec", [s for s in all_specs() if s.params], ids=lambda s: s.type)
def test_every_inspector_field_has_its_param_help_default_and_bounds(qtbot, spec) -> None:
    graph = GraphModel.from_parts([Node("n", spec.type)], [])
    document, inspector = Document(Project(graph=graph)), Inspector()
    qtbot.addWidget(inspector)
    inspector.set_document(document)
    inspector.show_nodes(["n"])
    for param in spec.params:
        editor = inspector.editor(param.name)
        tip = editor.toolTip()
        assert param.help, param.name
        assert tip.startswith(param.help + "\n"), param.name
        assert tip == param_tooltip(param)
        label = inspector.param_form.labelForField(editor)
        assert isinstance(label, QLabel)
        assert label.toolTip() == tip
    document.close()


@pytest.mark.parametrize(
    ("param", "second_line"),
    [
        (Param("n", "int", 3, "Count.", minimum=1, maximum=9), "Default: 3, from 1 to 9."),
        (Param("x", "float", 1e-05, "Eps.", minimum=0.0), "Default: 1e-05, at least 0."),
        (Param("d", "int", -1, "Dim.", maximum=8.0), "Default: -1, at most 8."),
        (Param("b", "bool", True, "Bias."), "Default: on."),
        (
            Param("s", "pair", None, "Stride.", minimum=1, nullable=True),
            "Default: empty, at least 1.",
        ),
        (Param("m", "choice", "zeros", "Mode.", choices=("zeros", "reflect")), "Default: zeros."),
        (Param("shape", "shape", [1, 28, 28], "Shape."), "Default: [1, 28, 28]."),
    ],
    ids=lambda v: v.kind if isinstance(v, Param) else "",
)
def test_tooltip_adds_default_and_bounds_to_the_help(param: Param, second_line: str) -> None:
    assert param_tooltip(param) == f"{param.help}\n{second_line}"
