"""The compiled model as a standalone PyTorch file that reads like one written by hand.

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

from cnnstudio import __version__
from cnnstudio.core.analysis import Analysis
from cnnstudio.export.codegen import docstring_text, literal, module_call, name
from cnnstudio.torch_backend.compiler import NODE_IDS
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
        call = module_call(model.get_submodule(attr), analysis.nodes[node_id].kwargs)
        note = "" if node_id == attr else f"  # block {docstring_text(node_id)}"
        lines.append(f"{INDENT * 2}self.{name(attr)} = {call}{note}")
    placeholder = next(n for n in model.graph.nodes if n.op == "placeholder")
    lines += ["", f"{INDENT}def forward(self, x: torch.Tensor) -> torch.Tensor:"]
    lines[-1] += _id_note(ids[placeholder.name], INPUT_ID)
    lines += [INDENT * 2 + s for s in _ForwardWriter(model.graph, ids).body()]
    source = "\n".join(lines) + "\n"
    ast.parse(source)  # a generator bug must never write a broken file
    return ModelCode(cls, tuple(shape), source)


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
        self.used = {"x"}
        self.x_holder: fx.Node | None = None  # the node whose value x holds

    def body(self) -> list[str]:
        lines = []
        for node in self.graph.nodes:
            if node.op == "placeholder":
                self.text[node], self.x_holder = "x", node
            elif node.op == "output":
                note = _id_note(self.blocks[node.name], OUTPUT_ID)
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
