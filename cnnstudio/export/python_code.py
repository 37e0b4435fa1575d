"""The compiled model as a standalone PyTorch file that reads like one written by hand.

A group definition becomes a class of its own, written before the model's class; its
``__init__`` takes the definition's exposed parameters and whatever else differs between the
places it is used (``in_channels``), and each use calls it with its own values.

The file is written from the compiled ``fx.GraphModule``'s graph, so it computes what the model
computes. The class has one attribute per ``call_module`` node, named exactly like the
submodule, so a state dict saved from one loads strictly into the other. ``forward`` keeps a
chain in ``x`` and gives a branch its own variable (named after the block that starts it) only
while ``x`` is still needed elsewhere; function calls are written as a person would
(``a + b + c``, ``torch.cat([a, b], dim=1)``), a partial sum inline in the sum it belongs to.
"""

from __future__ import annotations

import ast
import dataclasses
import operator
from collections.abc import Collection
from typing import Any

import torch
import torch.fx as fx
import torch.nn as nn

from cnnstudio import __version__
from cnnstudio.core.analysis import Analysis, NodeInfo
from cnnstudio.export.codegen import docstring_text, literal, module_call, name
from cnnstudio.torch_backend.compiler import DEFINITION, NODE_IDS
from cnnstudio.torch_backend.importer import INPUT_ID, OUTPUT_ID
from cnnstudio.torch_backend.naming import class_name, fresh_name

INDENT = "    "
# Top-level names of a generated file the class must not take.
_MODULE_NAMES = {"INPUT_SHAPE", "torch", "nn", "main"}
# Functions written as an operator; any other function must be a ``torch.<name>``.
_INFIX: dict[Any, str] = {operator.add: "+"}


@dataclasses.dataclass(frozen=True)
class ModelCode:
    """A generated model class and the constant that goes with it."""

    class_name: str
    input_shape: tuple[int, ...]
    class_source: str

    @property
    def input_shape_source(self) -> str:
        return f"INPUT_SHAPE = {literal(self.input_shape)}"


def model_class_name(project_name: str, taken: Collection[str] = ()) -> str:
    """The class name for a project, made different from every top-level name of the file."""
    cls = class_name(project_name)
    while cls in _MODULE_NAMES or cls in taken:
        cls += "_"
    return cls


def model_code(
    model: fx.GraphModule,
    analysis: Analysis,
    project_name: str,
    taken: Collection[str] = (),
) -> ModelCode:
    """Generate the class for ``model`` (compiled with ``analysis``) named after the project.

    ``analysis`` gives the shapes for the docstring and each block's constructor arguments.
    ``taken`` lists other top-level names of the file the class must not shadow.
    """
    cls = name(model_class_name(project_name, taken))
    shape, out_shape = analysis.input_shape, analysis.output_shape
    assert shape is not None, "export needs a valid graph"
    assert out_shape is not None, "export needs a valid graph"
    ids: dict[str, str] = model.meta[NODE_IDS]
    uses: dict[str, list[_Use]] = {}
    _collect_uses(model, analysis.nodes, uses)
    classes: dict[str, str] = {}
    taken_names = {*taken, *_MODULE_NAMES, cls}
    sources = []
    for definition, its_uses in uses.items():
        classes[definition] = fresh_name(class_name(definition), taken_names)
        sources.append(_definition_class(classes[definition], its_uses, classes, uses))
    lines = [
        f"class {cls}(nn.Module):",
        f'{INDENT}"""The {docstring_text(project_name)} network: [N, {_dims(shape)}] in, '
        f'[N, {_dims(out_shape)}] out."""',
        "",
        f"{INDENT}def __init__(self) -> None:",
        f"{INDENT * 2}super().__init__()",
    ]
    for node in [n for n in model.graph.nodes if n.op == "call_module"]:
        attr, node_id = str(node.target), ids[node.name]
        info = analysis.nodes[node_id]
        sub = model.get_submodule(attr)
        call = _group_call(sub, uses, classes, {}) if info.inner else module_call(sub, info.kwargs)
        note = "" if node_id == attr else f"  # block {docstring_text(node_id)}"
        lines.append(f"{INDENT * 2}self.{name(attr)} = {call}{note}")
    placeholder = next(n for n in model.graph.nodes if n.op == "placeholder")
    lines += ["", f"{INDENT}def forward(self, x: torch.Tensor) -> torch.Tensor:"]
    lines[-1] += _id_note(ids[placeholder.name], INPUT_ID)
    lines += [INDENT * 2 + s for s in _ForwardWriter(model.graph, ids).body()]
    source = "\n\n\n".join([*sources, "\n".join(lines)]) + "\n"
    ast.parse(source)  # a generator bug must never write a broken file
    return ModelCode(cls, tuple(shape), source)


@dataclasses.dataclass
class _Use:
    """One repetition of a group in the model: its module, the analysis of its inner nodes, and
    the arguments its class is called with (set when the class is written)."""

    module: fx.GraphModule
    infos: dict[str, NodeInfo]
    args: dict[str, Any] = dataclasses.field(default_factory=dict)


def _collect_uses(
    model: fx.GraphModule, infos: dict[str, NodeInfo], uses: dict[str, list[_Use]]
) -> None:
    """Every repetition of every group, by definition; a definition another one uses is listed
    first, so its class is written first."""
    ids: dict[str, str] = model.meta[NODE_IDS]
    for node in model.graph.nodes:
        if node.op != "call_module" or not infos[ids[node.name]].inner:
            continue
        sub = model.get_submodule(str(node.target))
        copies = list(sub) if isinstance(sub, nn.Sequential) else [sub]
        for copy, inner in zip(copies, infos[ids[node.name]].inner, strict=True):
            assert isinstance(copy, fx.GraphModule)
            _collect_uses(copy, inner, uses)
            uses.setdefault(copy.meta[DEFINITION][0], []).append(_Use(copy, inner))


def _use_of(module: fx.GraphModule, uses: dict[str, list[_Use]]) -> _Use:
    return next(u for u in uses[module.meta[DEFINITION][0]] if u.module is module)


def _group_call(
    sub: nn.Module, uses: dict[str, list[_Use]], classes: dict[str, str], variables: dict[str, str]
) -> str:
    """``BasicBlock(channels=128)``, or an ``nn.Sequential`` of such calls for a repeat."""
    copies = list(sub) if isinstance(sub, nn.Sequential) else [sub]
    calls = []
    for copy in copies:
        assert isinstance(copy, fx.GraphModule)
        use = _use_of(copy, uses)
        cls = classes[copy.meta[DEFINITION][0]]
        args = [
            f"{name(k)}={name(variables[k]) if k in variables else literal(v)}"
            for k, v in use.args.items()
        ]
        calls.append(f"{cls}({', '.join(args)})")
    return calls[0] if not isinstance(sub, nn.Sequential) else f"nn.Sequential({', '.join(calls)})"


def _annotation(values: list[Any]) -> str:
    """``: int`` when every use passes a value of one plain type, else nothing."""
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and next(iter(kinds)) in (int, float, bool, str):
        return f": {next(iter(kinds)).__name__}"
    return ""


def _definition_class(
    cls: str, uses: list[_Use], classes: dict[str, str], everything: dict[str, list[_Use]]
) -> str:
    """The class of one definition. An argument of an inner block that is the same in every use
    is written as a literal; one that differs becomes an ``__init__`` parameter, named after the
    exposed parameter it is bound to, or shared with a parameter that always has its value."""
    first = uses[0].module
    definition, exposed = first.meta[DEFINITION]
    ids: dict[str, str] = first.meta[NODE_IDS]
    modules = [n for n in first.graph.nodes if n.op == "call_module"]

    def arguments(use: _Use, node: fx.Node) -> dict[str, Any]:
        info = use.infos[ids[node.name]]
        if not info.inner:
            return info.kwargs
        sub = use.module.get_submodule(str(node.target))
        copy = sub[0] if isinstance(sub, nn.Sequential) else sub
        assert isinstance(copy, fx.GraphModule)
        return _use_of(copy, everything).args

    columns: dict[tuple[str, str], list[Any]] = {}
    for node in modules:
        per_use = [arguments(u, node) for u in uses]
        for key in per_use[0]:
            columns[(ids[node.name], key)] = [a.get(key) for a in per_use]
    params: dict[str, list[Any]] = {}
    defaults: dict[str, Any] = {}
    bound: dict[tuple[str, str], str] = {}
    for pname, bindings, default in exposed:
        present = [tuple(b) for b in bindings if tuple(b) in columns]
        if present:
            params[pname], defaults[pname] = columns[present[0]], default
            bound.update({b: pname for b in present if columns[b] == params[pname]})
    used_names = {"self", *params}
    variables: dict[str, dict[str, str]] = {}
    for (node_id, key), values in columns.items():
        var = bound.get((node_id, key))
        if var is None and any(v != values[0] for v in values):
            var = next((p for p, vs in params.items() if vs == values), None)
            if var is None:
                var = fresh_name(key if key not in used_names else f"{node_id}_{key}", used_names)
                params[var] = values
        if var is not None:
            variables.setdefault(node_id, {})[key] = var
    for i, use in enumerate(uses):
        use.args = {
            p: values[i]
            for p, values in params.items()
            if p not in defaults or values[i] != defaults[p]
        }
    order = [p for p in params if p not in defaults] + [p for p in params if p in defaults]
    for use in uses:
        use.args = {p: use.args[p] for p in order if p in use.args}
    signature = []
    for p in order:
        hint = _annotation(params[p])
        equals = " = " if hint else "="
        signature.append(p + hint + (equals + literal(defaults[p]) if p in defaults else ""))
    lines = [
        f"class {cls}(nn.Module):",
        f'{INDENT}"""The {docstring_text(definition)} group."""',
        "",
        f"{INDENT}def __init__({', '.join(['self', *signature])}) -> None:",
        f"{INDENT * 2}super().__init__()",
    ]
    for node in modules:
        attr, node_id = str(node.target), ids[node.name]
        sub = first.get_submodule(attr)
        if uses[0].infos[node_id].inner:
            call = _group_call(sub, everything, classes, variables.get(node_id, {}))
        else:
            call = module_call(sub, uses[0].infos[node_id].kwargs, variables.get(node_id, {}))
        note = "" if node_id == attr else f"  # block {docstring_text(node_id)}"
        lines.append(f"{INDENT * 2}self.{name(attr)} = {call}{note}")
    inputs = [str(n.name) for n in first.graph.nodes if n.op == "placeholder"]
    arguments_text = ", ".join(f"{name(i)}: torch.Tensor" for i in inputs)
    lines += ["", f"{INDENT}def forward(self, {arguments_text}) -> torch.Tensor:"]
    lines += [INDENT * 2 + s for s in _ForwardWriter(first.graph, ids).body()]
    return "\n".join(lines)


def python_file(code: ModelCode, project_name: str, weights_file: str | None) -> str:
    """The whole ``.py`` file: docstring with loading instructions, imports, constant, class."""
    title = f"The {docstring_text(project_name)} network in plain PyTorch"
    doc = [f'"""{title}, exported by cnnstudio {__version__}.', ""]
    doc += [
        "It imports nothing but torch. Input: one sample is INPUT_SHAPE, batched [N, *INPUT_SHAPE]."
    ]
    if weights_file is not None:
        doc += [
            "The trained or initial weights are in the safetensors file beside this one:",
            "",
            "    import safetensors.torch",
            f"    model = {code.class_name}()",
            f"    model.load_state_dict(safetensors.torch.load_file({docstring_text(weights_file)}))",
            "    model.eval()",
        ]
    doc.append('"""')
    main = [
        'if __name__ == "__main__":',
        f"{INDENT}model = {code.class_name}().eval()",
        f"{INDENT}with torch.no_grad():",
        f"{INDENT * 2}print(model(torch.zeros(1, *INPUT_SHAPE)).shape)",
    ]
    source = (
        "\n".join(doc)
        + "\n\nimport torch\nfrom torch import nn\n\n"
        + code.input_shape_source
        + "\n\n\n"
        + code.class_source
        + "\n\n"
        + "\n".join(main)
        + "\n"
    )
    ast.parse(source)
    return source


def _id_note(node_id: str, written: str) -> str:
    """A ``# block 'id'`` comment where the code does not show a block's id, so that importing
    the file (``cnnstudio import``) gives every block its id back."""
    return "" if node_id == written else f"  # block {docstring_text(node_id)}"


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(str(int(d)) for d in shape)


class _ForwardWriter:
    """``forward``'s statements from an fx graph, one per block.

    A node without a block id (a partial sum) is used once, by the block it belongs to, and is
    written inline there. ``x`` is reassigned once the value it holds has no use left.
    """

    def __init__(self, graph: fx.Graph, blocks: dict[str, str]) -> None:
        self.graph, self.blocks = graph, blocks  # fx node name -> block id
        self.text: dict[fx.Node, str] = {}  # a variable, or an inline expression
        self.leaves: dict[fx.Node, list[fx.Node]] = {}  # the variables an inline one reads
        self.pending = {n: len(n.users) for n in graph.nodes}  # users left of each value
        self.inputs = [n for n in graph.nodes if n.op == "placeholder"]
        # One input is ``x``; a group with several keeps its argument names (``x0``, ``x1``).
        self.used = {"x", *(str(n.name) for n in self.inputs)}
        self.x_holder: fx.Node | None = None  # the node whose value x holds

    def body(self) -> list[str]:
        lines = []
        for node in self.graph.nodes:
            if node.op == "placeholder" and len(self.inputs) == 1:
                self.text[node], self.x_holder = "x", node
            elif node.op == "placeholder":
                self.text[node] = name(str(node.name))
            elif node.op == "output":
                block = self.blocks.get(node.name)  # a group's output is an inner block's
                note = "" if block is None else _id_note(block, OUTPUT_ID)
                lines.append(f"return {self._read(node.args[0])}{note}")
            elif node.name not in self.blocks and len(node.users) == 1:
                self.text[node] = self._expression(node)
                self.leaves[node] = [
                    v for a in node.all_input_nodes for v in self.leaves.get(a, [a])
                ]
            else:
                expression = self._expression(node)
                for arg in node.all_input_nodes:
                    for leaf in self.leaves.get(arg, [arg]):
                        self.pending[leaf] -= 1
                if self.x_holder is not None and self.pending[self.x_holder] == 0:
                    self.text[node], self.x_holder = "x", node
                else:
                    self.text[node] = fresh_name(name(node.name), self.used)
                note = (
                    _id_note(self.blocks[node.name], self.text[node])
                    if node.op == "call_function"
                    else ""
                )
                lines.append(f"{self.text[node]} = {expression}{note}")
        return lines

    def _expression(self, node: fx.Node) -> str:
        if node.op == "call_module":
            inputs = ", ".join(self._read(a) for a in node.args)
            return f"self.{name(str(node.target))}({inputs})"
        assert node.op == "call_function", node.format_node()
        if node.target in _INFIX:
            assert not node.kwargs, node.format_node()
            left, right = node.args
            op = _INFIX[node.target]
            return f"{self._read(left, op)} {op} {self._read(right)}"
        function = node.target
        function_name = getattr(function, "__name__", "")
        if getattr(torch, function_name, None) is not function:
            raise ValueError(f"cannot write {function!r} as a torch function")
        args = [self._read(a) for a in node.args]
        args += [f"{name(k)}={self._read(v)}" for k, v in node.kwargs.items()]
        return f"torch.{name(function_name)}({', '.join(args)})"

    def _read(self, arg: Any, left_of: str | None = None) -> str:
        """Source for an argument: a variable, an inline expression, a list or a literal.

        An inline infix expression needs no parentheses only as the left operand of the same
        operator (``a + b + c``).
        """
        if isinstance(arg, fx.Node):
            text = self.text[arg]
            inline_op = _INFIX.get(arg.target) if arg in self.leaves else None
            return text if inline_op in (None, left_of) else f"({text})"
        if isinstance(arg, (list, tuple)):
            return "[" + ", ".join(self._read(a) for a in arg) + "]"
        return literal(arg)
