"""The compiled model as a standalone PyTorch file that reads like one written by hand.

The class has one attribute per block, named exactly like the compiled ``fx.GraphModule``'s
submodules, so a state dict saved from one loads strictly into the other. ``forward`` keeps a
chain in ``x`` and gives a branch its own variable (named after the block that starts it) only
while ``x`` is still needed elsewhere; merges are plain ``a + b`` and ``torch.cat([...])``.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Collection

import torch.fx as fx

from cnnstudio import __version__
from cnnstudio.core.analysis import Analysis
from cnnstudio.core.graph import GraphModel
from cnnstudio.export.codegen import docstring_text, literal, module_call, name
from cnnstudio.torch_backend.compiler import NODE_IDS
from cnnstudio.torch_backend.naming import class_name, fresh_name, identifier

INDENT = "    "
# Top-level names of a generated file the class must not take.
_MODULE_NAMES = {"INPUT_SHAPE", "torch", "nn", "main"}


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
    graph: GraphModel,
    analysis: Analysis,
    project_name: str,
    taken: Collection[str] = (),
) -> ModelCode:
    """Generate the class for ``model`` (compiled from ``graph``) named after the project.

    ``taken`` lists other top-level names of the file the class must not shadow.
    """
    cls = name(model_class_name(project_name, taken))
    shape, out_shape = analysis.input_shape, analysis.output_shape
    assert shape is not None, "export needs a valid graph"
    assert out_shape is not None, "export needs a valid graph"
    ids: dict[str, str] = model.meta[NODE_IDS]
    # node id -> the submodule's attribute name, as the compiler chose it (state-dict keys).
    attrs = {ids[n.name]: str(n.target) for n in model.graph.nodes if n.op == "call_module"}
    lines = [
        f"class {cls}(nn.Module):",
        f'{INDENT}"""The {docstring_text(project_name)} network: [N, {_dims(shape)}] in, '
        f'[N, {_dims(out_shape)}] out."""',
        "",
        f"{INDENT}def __init__(self) -> None:",
        f"{INDENT * 2}super().__init__()",
    ]
    for node_id, attr in attrs.items():
        call = module_call(model.get_submodule(attr), analysis.nodes[node_id].kwargs)
        note = "" if node_id == attr else f"  # block {docstring_text(node_id)}"
        lines.append(f"{INDENT * 2}self.{name(attr)} = {call}{note}")
    lines += ["", f"{INDENT}def forward(self, x: torch.Tensor) -> torch.Tensor:"]
    lines += [INDENT * 2 + s for s in _forward_body(graph, analysis, attrs)]
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


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(str(int(d)) for d in shape)


def _forward_body(graph: GraphModel, analysis: Analysis, attrs: dict[str, str]) -> list[str]:
    order = analysis.model_order()
    in_model = set(order)
    pending = {n: sum(e.target in in_model for e in graph.outputs_of(n)) for n in order}
    used = {"x"}
    var: dict[str, str] = {}
    x_holder = ""  # the node whose value x holds
    body: list[str] = []
    for node_id in order:
        info = analysis.nodes[node_id]
        sources = [e.source for e in graph.inputs_of(node_id)]
        if info.type == "Input":
            var[node_id], x_holder = "x", node_id
            continue
        args = [var[s] for s in sources]
        for s in sources:
            pending[s] -= 1
        if info.type == "Output":
            body.append(f"return {args[0]}")
            continue
        if pending[x_holder] == 0:
            target, x_holder = "x", node_id
        else:
            target = fresh_name(name(attrs.get(node_id) or identifier(node_id)), used)
        var[node_id] = target
        if info.type == "Add":
            expression = " + ".join(args)
        elif info.type == "Concat":
            expression = f"torch.cat([{', '.join(args)}], dim={literal(info.kwargs['dim'])})"
        else:
            expression = f"self.{name(attrs[node_id])}({', '.join(args)})"
        body.append(f"{target} = {expression}")
    return body
