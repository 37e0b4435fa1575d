"""The inspector: the selected block's id, parameters and computed shapes, params and MACs.

The form is generated from the block's spec (one editor per Param, see ``param_editors``); for
a group instance, from its definition's exposed parameters, with its repeat count and the
buttons that make it unique or enter its definition.
Every change goes through ``Document.push`` as one undo step; the form follows the model's signals, so an
undo, a rename or an edit made elsewhere shows here at once. Values the model refuses are
reported under the form and the editor returns to the model's value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.blocks import get_spec
from cnnstudio.core.commands import Command, Rename, SetParams
from cnnstudio.core.graph import MAX_REPEAT, Definition, ExposedParam, GraphModel, Node
from cnnstudio.core.groups import (
    EditDefinition,
    MakeUnique,
    RenameDefinition,
    SetRepeat,
    instance_params,
)
from cnnstudio.gui import theme
from cnnstudio.gui.analysis_model import AnalysisModel
from cnnstudio.gui.document import Document
from cnnstudio.gui.editor.model_links import ModelLinks
from cnnstudio.gui.numbers import shape_text, short_count
from cnnstudio.gui.param_editors import FloatEditor, IntEditor, IntsEditor, ParamEditor, make_editor
from cnnstudio.gui.wheel_guard import wheel_when_focused

# Editors whose successive changes (arrow steps, typed values) merge into one undo step.
_MERGING = (IntEditor, FloatEditor, IntsEditor)


def _label(text: str = "", role: str | None = None, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class Inspector(QWidget):
    """Shows one selected node; a placeholder for none or several."""

    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.graph: GraphModel | None = None
        self.document: Document | None = None
        self.analysis: AnalysisModel | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self._links = ModelLinks(self)
        self._session = 0  # part of the merge key: a new selection starts new undo steps

        self.pages = QStackedWidget()
        self.placeholder = _label("Select a block on the canvas to edit it.", "muted", wrap=True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self._build_node_page())
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.pages)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def _build_node_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(6)

        header = QHBoxLayout()
        header.setSpacing(8)
        self.icon = QLabel()
        self.title = _label(role="title")
        header.addWidget(self.icon)
        header.addWidget(self.title, 1)
        layout.addLayout(header)
        self.subtitle = _label(role="muted")
        self.help = _label(role="muted", wrap=True)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.help)
        self.read_only_note = _label(role="muted", wrap=True)
        self.read_only_note.setObjectName("inspectorReadOnly")
        self.read_only_note.hide()
        layout.addWidget(self.read_only_note)

        node_form = QFormLayout()
        node_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.id_edit = QLineEdit()
        self.id_edit.setObjectName("inspectorId")
        self.id_edit.setToolTip(
            "The block's unique name (also the module name in exported PyTorch code).\n"
            "Letters, digits, '_', '.' or '-', starting with a letter or '_'."
        )
        self.id_edit.editingFinished.connect(self._rename)
        id_label = QLabel("Id")
        id_label.setToolTip(self.id_edit.toolTip())
        node_form.addRow(id_label, self.id_edit)
        layout.addLayout(node_form)

        layout.addWidget(_label("Parameters", "section"))
        self.param_host = QWidget()
        self.param_form = QFormLayout(self.param_host)
        self.param_form.setContentsMargins(0, 0, 0, 0)
        self.param_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.param_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.param_form.setLabelAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        layout.addWidget(self.param_host)
        self.no_params = _label("This block has no parameters.", "muted")
        layout.addWidget(self.no_params)

        self.group_box = self._build_group_section()
        layout.addWidget(self.group_box)

        self.refusal = _label(role="error", wrap=True)
        self.refusal.setObjectName("inspectorRefusal")
        layout.addWidget(self.refusal)

        layout.addWidget(_label("Computed", "section"))
        computed = QFormLayout()
        self.inputs_value = _label(role="value", wrap=True)
        self.output_value = _label(role="value")
        self.params_value = _label(role="value")
        self.macs_value = _label(role="value")
        for text, widget, tip in (
            (
                "Input",
                self.inputs_value,
                "Shape of each input (without the batch dimension) and the block it comes from.",
            ),
            ("Output", self.output_value, "Shape of the output, without the batch dimension."),
            ("Parameters", self.params_value, "Learned weights in this block."),
            ("MACs", self.macs_value, "Multiply-accumulate operations per sample."),
        ):
            label = QLabel(text)
            label.setToolTip(tip)
            widget.setToolTip(tip)
            computed.addRow(label, widget)
        layout.addLayout(computed)
        self.maths_title = _label("How this shape is computed", "section")
        self.maths = _label(role="value", wrap=True)
        self.maths.setObjectName("inspectorMaths")
        self.maths.setTextFormat(Qt.TextFormat.PlainText)
        self.maths.setToolTip(
            "The block's shape rule with this node's numbers, its parameter and MAC counts, and\n"
            "its receptive field: how much of the input image one output position sees."
        )
        layout.addWidget(self.maths_title)
        layout.addWidget(self.maths)
        self.message = _label(role="error", wrap=True)
        self.message.setObjectName("inspectorMessage")
        layout.addWidget(self.message)
        layout.addStretch(1)
        return page

    def _build_group_section(self) -> QWidget:
        box = QWidget()
        box.setObjectName("inspectorGroup")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(_label("Group", "section"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.definition_value = QLineEdit()
        self.definition_value.setObjectName("inspectorDefinition")
        self.definition_value.setToolTip(
            "The project block this group is an instance of; editing it changes every instance.\n"
            "Type a new name to rename it everywhere (it is the class name in exported code):\n"
            "letters, digits or '_', starting with a letter or '_'."
        )
        self.definition_value.editingFinished.connect(self._rename_definition)
        form.addRow("Definition", self.definition_value)
        self.repeat_edit = QSpinBox()
        self.repeat_edit.setObjectName("inspectorRepeat")
        self.repeat_edit.setRange(1, MAX_REPEAT)
        wheel_when_focused(self.repeat_edit)  # scrolling the inspector must not change it
        self.repeat_edit.setPrefix("x")
        self.repeat_edit.setToolTip(
            "Run the group this many times in sequence (its output shape must equal its input's)."
        )
        self.repeat_edit.setKeyboardTracking(False)  # typed values apply on Enter or leaving
        self.repeat_edit.valueChanged.connect(self._set_repeat)
        form.addRow("Repeat", self.repeat_edit)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.edit_definition_button = QPushButton("Edit definition")
        self.edit_definition_button.setObjectName("inspectorEditDefinition")
        self.edit_definition_button.setToolTip(
            "Show the definition's inner blocks on the canvas (Esc comes back)."
        )
        self.edit_definition_button.clicked.connect(self._edit_definition)
        self.make_unique_button = QPushButton("Make unique")
        self.make_unique_button.setObjectName("inspectorMakeUnique")
        self.make_unique_button.setToolTip(
            "Give this instance its own copy of the definition, so editing it leaves the other "
            "instances as they are."
        )
        self.make_unique_button.clicked.connect(self._make_unique)
        buttons.addWidget(self.edit_definition_button)
        buttons.addWidget(self.make_unique_button)
        layout.addLayout(buttons)
        return box

    # ---- document ---------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Follow a (new) document: its graph, analysis, selection and edit guard."""
        old = self.document
        if old is not None:
            old.analysis.updated.disconnect(self._refresh_computed)
            old.selection_changed.disconnect(self._follow_selection)
            old.read_only_changed.disconnect(self._show_read_only)
            old.scope_changed.disconnect(self._follow_scope)
        self.document, self.analysis = document, document.analysis
        document.analysis.updated.connect(self._refresh_computed)
        document.selection_changed.connect(self._follow_selection)
        document.read_only_changed.connect(self._show_read_only)
        document.scope_changed.connect(self._follow_scope)
        self._show_read_only(document.read_only_reason)
        self._follow_scope()

    def _follow_scope(self) -> None:
        """Edit the nodes of the graph the canvas shows (the network or a group's inside)."""
        assert self.document is not None
        self._links.unlink()
        self.graph = graph = self.document.editing
        self._links.connect(graph.params_changed, self._on_params_changed)
        self._links.connect(graph.node_renamed, self._on_renamed)
        self._links.connect(graph.node_removed, self._on_removed)
        self._links.connect(graph.definitions.changed, self._on_definition_changed)
        self._follow_selection()

    def _follow_selection(self) -> None:
        self.show_nodes(self.document.selection if self.document is not None else [])

    def _show_read_only(self, reason: str | None) -> None:
        """While a run trains the fields are disabled, and the form says why."""
        for widget in (self.id_edit, self.param_host, self.group_box):
            widget.setEnabled(reason is None)
        self.read_only_note.setText(
            f"Read-only while {reason}: stop the run to edit the network." if reason else ""
        )
        self.read_only_note.setVisible(reason is not None)

    def show_nodes(self, node_ids: list[str]) -> None:
        """Show the form for a single selected node, else a placeholder saying why there is none."""
        self._session += 1
        self._set_refusal("")
        if len(node_ids) != 1 or self.graph is None or node_ids[0] not in self.graph:
            self.node_id = None
            self.placeholder.setText(
                f"{len(node_ids)} blocks selected."
                if len(node_ids) > 1
                else "Select a block on the canvas to edit it."
            )
            self.pages.setCurrentIndex(0)
            return
        node = self.graph.node(node_ids[0])
        self.node_id = node.id
        self._build_form(node)
        self.pages.setCurrentIndex(1)

    def editor(self, param: str) -> ParamEditor:
        return self.editors[param]

    # ---- form -------------------------------------------------------------------------------
    def _build_form(self, node: Node) -> None:
        assert self.graph is not None
        self.title.setText(node.id)
        self.id_edit.setText(node.id)
        if node.is_group:
            definition = self.graph.definitions.get(node.definition)
            params = [definition.param_spec(p.name) for p in definition.params]
            names = [p.name for p in definition.params]
            self.icon.clear()
            self.subtitle.setText(f"{definition.name}  ·  group")
            n = len(definition.graph)
            self.help.setText(
                f"An instance of the project block {definition.name} ({n} block"
                f"{'s' * (n != 1)}). Its parameters below are set for this instance only."
            )
            self.no_params.setText(f"{definition.name} exposes no parameters.")
        else:
            spec = get_spec(node.type)
            params, names = list(spec.params), [p.name for p in spec.params]
            self.icon.setPixmap(theme.category_icon(spec.category).pixmap(24, 24))
            self.subtitle.setText(f"{spec.type}  ·  {spec.category}")
            self.help.setText(spec.help)
            self.no_params.setText("This block has no parameters.")
        self.group_box.setVisible(node.is_group)
        while self.param_form.rowCount():
            self.param_form.removeRow(0)
        self.editors = {}
        for name, param in zip(names, params, strict=True):
            param = replace(param, name=name)
            editor = make_editor(param)
            editor.setObjectName(f"param_{param.name}")
            editor.committed.connect(lambda value, name=param.name: self._commit(name, value))
            label = QLabel(param.name)
            label.setObjectName(f"label_{param.name}")
            label.setToolTip(editor.toolTip())
            exposed = self._exposed_as(node.id, param.name)
            if exposed is not None:
                label.setText(f"{param.name} → {exposed}")
                label.setToolTip(
                    f"Set per instance as the group parameter {exposed}; the value here is its "
                    f"default.\n\n{editor.toolTip()}"
                )
            if self._inside_group() and not node.is_group:
                label.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                label.customContextMenuRequested.connect(
                    lambda at, name=param.name, shown=label: self.param_menu(name).exec(
                        shown.mapToGlobal(at)
                    )
                )
            self.param_form.addRow(label, editor)
            self.editors[param.name] = editor
        self.param_host.setVisible(bool(params))
        self.no_params.setVisible(not params)
        self._refresh_values(node)
        self._refresh_computed()

    def _values(self, node: Node) -> dict[str, Any]:
        """Every parameter's value, defaults included."""
        assert self.graph is not None
        if node.is_group:
            return instance_params(self.graph, node.id)
        return get_spec(node.type).resolve(node.params)

    def _refresh_values(self, node: Node) -> None:
        values = self._values(node)
        for name, editor in self.editors.items():
            editor.set_value(values[name])
        if node.is_group:
            self.definition_value.setText(node.definition)
            with QSignalBlocker(self.repeat_edit):
                self.repeat_edit.setValue(node.repeat)

    def _refresh_computed(self) -> None:
        if self.node_id is None or self.analysis is None:
            return
        analysis = self.analysis.analysis
        assert self.document is not None
        info = self.document.node_infos().get(self.node_id)
        if info is None:
            for label in (self.inputs_value, self.output_value, self.params_value):
                label.setText("?")
            self.macs_value.setText("?")
            self.message.setText("Shapes are known once the blocks before this group are fixed.")
            self.message.setVisible(bool(self.document.scope))
            return
        # Each input with the block it comes from: a merge's shape error names its culprit.
        sources = self._sources(self.node_id)
        pairs = zip(info.input_shapes, sorted(sources), strict=False)
        inputs = [f"{shape_text(shape)}  from {sources[port]}" for shape, port in pairs]
        self.inputs_value.setText("\n".join(inputs) if inputs else "—")
        self.output_value.setText(shape_text(info.output_shape))
        known = info.status == "ok"
        self.params_value.setText(f"{info.params:,}" if known else "?")
        self.macs_value.setText(short_count(info.macs) if known else "?")
        maths = info.maths()
        self.maths.setText(maths)
        self.maths_title.setVisible(bool(maths))
        self.maths.setVisible(bool(maths))
        notes = [info.message] if info.message else []
        notes += [i.message for i in analysis.warnings if i.node == self.node_id]
        self.message.setText("\n".join(notes))
        self.message.setVisible(bool(notes))
        self.message.setProperty("role", "error" if info.status == "error" else "muted")
        self.message.style().polish(self.message)

    # ---- exposing parameters of the blocks inside a group -------------------------------------
    def _inside_group(self) -> bool:
        return self.graph is not None and self.graph.owner in self.graph.definitions

    def _definition(self) -> Definition:
        assert self.graph is not None
        assert self.graph.owner is not None
        return self.graph.definitions.get(self.graph.owner)

    def _exposed_as(self, node_id: str, param: str) -> str | None:
        """The group parameter a block parameter inside a group is bound to, if any."""
        if not self._inside_group():
            return None
        for exposed in self._definition().params:
            if (node_id, param) in exposed.bindings:
                return exposed.name
        return None

    def param_menu(self, param: str) -> QMenu:
        """The menu of a parameter's label inside a group: expose it, or stop exposing it."""
        menu = QMenu(self)
        menu.setObjectName("inspectorParamMenu")
        assert self.node_id is not None
        exposed = self._exposed_as(self.node_id, param)
        if exposed is None:
            menu.addAction(
                f"Expose {param} as a Group Parameter…", lambda: self.expose_param(param)
            ).setObjectName("actionExposeParam")
        else:
            menu.addAction(
                f"Stop Exposing {param} (as {exposed})", lambda: self.unexpose_param(param)
            ).setObjectName("actionUnexposeParam")
        menu.aboutToHide.connect(menu.deleteLater)
        return menu

    def expose_param(self, param: str) -> None:
        """Bind a parameter of the block shown to a group parameter (a new one, or one of the
        same name, whose other blocks then get the same value per instance)."""
        if self.node_id is None or self.document is None or not self._inside_group():
            return
        definition = self._definition()
        name, ok = QInputDialog.getText(
            self,
            "Expose as group parameter",
            f"Name of the {definition.name} parameter that sets {self.node_id}.{param} in each "
            "instance (an existing name binds this parameter to it too):",
            text=param,
        )
        name = name.strip()
        if not ok or not name:
            return
        params = list(definition.params)
        binding = (self.node_id, param)
        for i, exposed in enumerate(params):
            if exposed.name == name:
                params[i] = ExposedParam(name, (*exposed.bindings, binding))
                break
        else:
            params.append(ExposedParam(name, (binding,)))
        self._edit_params(definition.name, params, f"Expose {self.node_id}.{param} as {name}")

    def unexpose_param(self, param: str) -> None:
        if self.node_id is None or self.document is None or not self._inside_group():
            return
        definition = self._definition()
        binding = (self.node_id, param)
        params = []
        for exposed in definition.params:
            kept = tuple(b for b in exposed.bindings if b != binding)
            if kept:
                params.append(ExposedParam(exposed.name, kept))
        self._edit_params(definition.name, params, f"Stop exposing {self.node_id}.{param}")

    def _edit_params(self, definition: str, params: list[ExposedParam], text: str) -> None:
        assert self.document is not None
        command = EditDefinition(definition, params=params)
        command.text = text
        message = self.document.push_to_network(command)
        if message is not None:
            self._refuse(message)
            return
        self._set_refusal("")
        assert self.graph is not None
        assert self.node_id is not None
        self._build_form(self.graph.node(self.node_id))

    def _sources(self, node_id: str) -> dict[int, str]:
        """What feeds each input port: a block, or inside a group one of the group's inputs."""
        assert self.graph is not None
        sources = {e.target_port: e.source for e in self.graph.inputs_of(node_id)}
        owner = self.graph.owner
        if owner is not None and owner in self.graph.definitions:
            for port in self.graph.definitions.get(owner).inputs:
                for target, index in port.targets:
                    if target == node_id:
                        sources.setdefault(index, f"the group's input {port.name}")
        return sources

    # ---- edits ------------------------------------------------------------------------------
    def _commit(self, name: str, value: Any) -> None:
        if self.node_id is None or self.graph is None or self.document is None:
            return
        node = self.graph.node(self.node_id)
        current = self._values(node)[name]
        if value == current and type(value) is type(current):
            return
        editor = self.editors[name]
        key = (
            f"inspector:{node.id}:{name}:{self._session}" if isinstance(editor, _MERGING) else None
        )
        message = self.document.push(SetParams(node.id, {name: value}), key)
        if message is None:
            self._set_refusal("")
            return
        self._refuse(message)
        editor.set_value(self._values(self.graph.node(node.id))[name])

    def _set_repeat(self) -> None:
        if self.node_id is None or self.graph is None or self.document is None:
            return
        node = self.graph.node(self.node_id)
        value = self.repeat_edit.value()
        if not node.is_group or value == node.repeat:
            return
        key = f"inspector:{node.id}:repeat:{self._session}"
        message = self.document.push(SetRepeat(node.id, value), key)
        if message is None:
            self._set_refusal("")
            return
        self._refuse(message)
        with QSignalBlocker(self.repeat_edit):
            self.repeat_edit.setValue(self.graph.node(node.id).repeat)

    def _edit_definition(self) -> None:
        if self.node_id is not None and self.document is not None:
            self.document.enter(self.node_id)

    def _make_unique(self) -> None:
        if self.node_id is None or self.document is None:
            return
        message = self.document.push(MakeUnique(self.node_id))
        if message is not None:
            self._refuse(message)
        else:
            self._set_refusal("")
            assert self.graph is not None
            self.status_message.emit(
                f"{self.node_id} now has its own definition, "
                f"{self.graph.node(self.node_id).definition}."
            )

    def _rename_definition(self) -> None:
        if self.node_id is None or self.graph is None:
            return
        old = self.graph.node(self.node_id).definition
        if self._commit_name(self.definition_value, old, lambda new: RenameDefinition(old, new)):
            self.status_message.emit(
                f"Renamed group {old} to {self.graph.node(self.node_id).definition}."
            )

    def _rename(self) -> None:
        if self.node_id is not None:
            node_id = self.node_id
            self._commit_name(self.id_edit, node_id, lambda new: Rename(node_id, new))

    def _commit_name(self, field: QLineEdit, old: str, command: Callable[[str], Command]) -> bool:
        """Push ``command(new)`` for the name typed in ``field``: True once renamed; a refused
        name says why and ``field`` shows ``old`` again."""
        new = field.text().strip()
        if self.document is None or new == old:
            return False
        message = self.document.push(command(new))
        if message is not None:
            self._refuse(message)
            field.setText(old)
            return False
        self._set_refusal("")
        return True

    def _refuse(self, message: str) -> None:
        self._set_refusal(message)
        self.status_message.emit(message)

    def _set_refusal(self, message: str) -> None:
        self.refusal.setText(message)
        self.refusal.setVisible(bool(message))

    # ---- model signals ----------------------------------------------------------------------
    def _on_params_changed(self, node_id: str) -> None:
        if node_id == self.node_id and self.graph is not None:
            self._refresh_values(self.graph.node(node_id))

    def _on_definition_changed(self, name: str) -> None:
        """A definition's exposed parameters may have changed: a group's form is rebuilt."""
        if self.node_id is None or self.graph is None or self.node_id not in self.graph:
            return
        node = self.graph.node(self.node_id)
        if node.is_group and name == node.definition:
            self._build_form(node)

    def _on_renamed(self, old_id: str, new_id: str) -> None:
        if old_id == self.node_id:
            self.node_id = new_id
            self.title.setText(new_id)
            self.id_edit.setText(new_id)

    def _on_removed(self, node: Node) -> None:
        if node.id == self.node_id:
            self.show_nodes([])
