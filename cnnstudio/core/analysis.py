"""Shape and cost analysis: one topological walk that never raises on a user's graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cnnstudio.core.blocks import Line, Shape, fmt_shape, get_spec, numel
from cnnstudio.core.derivation import derivation_text, derive
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.receptive_field import ReceptiveField, next_field

Status = Literal["ok", "error", "unknown"]
BYTES_PER_ELEMENT = 4  # float32 activations


@dataclass(frozen=True)
class Issue:
    node: str | None
    message: str
    severity: Literal["error", "warning"] = "error"


@dataclass
class NodeInfo:
    """What analysis knows of one node; shapes exclude the batch dimension."""

    id: str
    type: str
    status: Status = "unknown"
    input_shapes: list[Shape | None] = field(default_factory=list)
    output_shape: Shape | None = None
    params: int = 0
    macs: int = 0
    kwargs: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    in_model: bool = False
    derivation: tuple[Line, ...] = ()  # how the shape, params and MACs follow, with numbers
    field: ReceptiveField | None = None  # what one output position sees of an image input

    def maths(self) -> str:
        """The derivation and receptive field as text (tooltip, inspector); empty if unknown."""
        lines = [derivation_text(self.derivation)] if self.derivation else []
        if self.field is not None and self.output_shape is not None:
            lines.append(self.field.text(spatial=len(self.output_shape) == 3))
        return "\n".join(lines)

    @property
    def memory(self) -> int:
        """Bytes of this node's output activation per sample."""
        return numel(self.output_shape) * BYTES_PER_ELEMENT if self.output_shape else 0


@dataclass
class Analysis:
    """Per-node results in topological order, issues, and model totals (nodes feeding the Output)."""

    nodes: dict[str, NodeInfo]
    order: list[str]
    issues: list[Issue]
    input_id: str | None = None
    output_id: str | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def _model_nodes(self) -> list[NodeInfo]:
        return [n for n in self.nodes.values() if n.in_model and n.status == "ok"]

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self._model_nodes())

    @property
    def trainable_params(self) -> int:
        # Every parameter is trainable until blocks can be frozen.
        return self.total_params

    @property
    def macs(self) -> int:
        return sum(n.macs for n in self._model_nodes())

    @property
    def memory(self) -> int:
        """Activation bytes per sample of the whole model (forward pass)."""
        return sum(n.memory for n in self._model_nodes())

    @property
    def input_shape(self) -> Shape | None:
        return self.nodes[self.input_id].output_shape if self.input_id else None

    @property
    def output_shape(self) -> Shape | None:
        return self.nodes[self.output_id].output_shape if self.output_id else None

    def model_order(self) -> list[str]:
        """Topological order of the nodes the compiled model contains."""
        return [n for n in self.order if self.nodes[n].in_model]


def _singletons(graph: GraphModel, block: str, issues: list[Issue]) -> str | None:
    found = [n.id for n in graph if n.type == block]
    if not found:
        issues.append(Issue(None, f"the graph has no {block} node"))
        return None
    for extra in found[1:]:
        issues.append(
            Issue(
                extra, f"{extra} ({block}): only one {block} is supported; {found[0]} is the first"
            )
        )
    return found[0]


def _ancestors(graph: GraphModel, node_id: str) -> set[str]:
    seen, stack = {node_id}, [node_id]
    while stack:
        for e in graph.inputs_of(stack.pop()):
            if e.source not in seen:
                seen.add(e.source)
                stack.append(e.source)
    return seen


def analyze(graph: GraphModel, classes: int | None = None, dataset: str = "") -> Analysis:
    """Infer every node's output shape, parameters and MACs; collect issues naming node and shapes.

    ``classes`` is the number of classes of the project's dataset (named ``dataset``), when
    known: an Output of another size is an error before any training starts.
    """
    issues: list[Issue] = []
    input_id = _singletons(graph, "Input", issues)
    output_id = _singletons(graph, "Output", issues)
    in_model = _ancestors(graph, output_id) if output_id else set()
    order = graph.topological_order()
    infos: dict[str, NodeInfo] = {}
    for node_id in order:
        node = graph.node(node_id)
        spec = get_spec(node.type)
        info = infos[node_id] = NodeInfo(node_id, node.type, in_model=node_id in in_model)
        label = f"{node_id} ({node.type})"
        edges = graph.inputs_of(node_id)
        ports = {e.target_port for e in edges}
        missing = [] if spec.variadic else [p for p in range(spec.inputs) if p not in ports]
        info.input_shapes = [infos[e.source].output_shape for e in edges]
        if missing:
            what = "input is" if spec.inputs == 1 else f"input {missing[0]} is"
            info.status, info.message = "error", f"{label}: {what} not connected"
        elif any(infos[e.source].status != "ok" for e in edges):
            info.message = f"{label}: shape unknown until the nodes before it are fixed"
            continue
        else:
            shapes = [s for s in info.input_shapes if s is not None]
            params = spec.resolve(node.params)
            try:
                result = spec.rule(shapes, params)
            except ShapeError as exc:
                info.status, info.message = "error", f"{label}: {exc}"
            else:
                info.status, info.output_shape = "ok", result.shape
                info.params, info.macs, info.kwargs = result.params, result.macs, result.kwargs
                info.derivation = derive(spec, shapes, params, result)
                fields = [infos[e.source].field for e in edges]
                info.field = next_field(spec, shapes, params, fields, result.shape)
        if info.status == "error":
            issues.append(Issue(node_id, info.message))
    for node_id in order:
        if output_id and node_id not in in_model:
            t = infos[node_id].type
            issues.append(
                Issue(node_id, f"{node_id} ({t}): not connected to the Output; ignored", "warning")
            )
    if output_id:
        for e in graph.inputs_of(output_id):
            src = infos[e.source]
            if src.type in ("Softmax", "LogSoftmax"):
                issues.append(
                    Issue(
                        src.id,
                        f"{src.id} ({src.type}): training applies cross-entropy to the Output's "
                        "logits; a softmax before it slows learning",
                        "warning",
                    )
                )
        out = infos[output_id]
        if out.output_shape is not None and len(out.output_shape) != 1:
            issues.append(
                Issue(
                    output_id,
                    f"{output_id} (Output): class scores should be a vector, got "
                    f"{fmt_shape(out.output_shape)}; add Flatten and Linear before it",
                    "warning",
                )
            )
    analysis = Analysis(infos, order, issues, input_id, output_id)
    if classes is not None:
        misfit = class_mismatch(graph, analysis, classes, dataset)
        if misfit is not None:
            issues.append(misfit)
    return analysis


def class_mismatch(
    graph: GraphModel, analysis: Analysis, classes: int, dataset: str
) -> Issue | None:
    """The error when the Output does not give one score per class of ``dataset``, else None.

    The issue names the node that sets the size (the last one before the Output that changes
    the shape, e.g. the final Linear), since that is the one to edit. One rule for the editor,
    which checks as soon as the dataset is known, and for training, which checks the loaded data.
    """
    out = analysis.nodes.get(analysis.output_id) if analysis.output_id else None
    if out is None or out.status != "ok" or out.output_shape is None:
        return None  # no Output, or its shape is unknown: other issues say why
    if tuple(out.output_shape) == (classes,):
        return None
    at_fault = _size_setter(graph, analysis, out.id)
    node = analysis.nodes[at_fault]
    what = f"dataset {dataset!r}" if dataset else "the dataset"
    shape = out.output_shape
    if len(shape) == 1 and any(p.name == "out_features" for p in get_spec(node.type).params):
        return Issue(
            at_fault,
            f"{at_fault} ({node.type}): {shape[0]} outputs but {what} has {classes} classes "
            f"— set out_features to {classes}",
        )
    return Issue(
        at_fault,
        f"{at_fault} ({node.type}): gives {fmt_shape(shape)} but {what} has {classes} classes "
        f"— end the network in {classes} values, e.g. a Linear layer with out_features={classes}",
    )


def _size_setter(graph: GraphModel, analysis: Analysis, node_id: str) -> str:
    """Walk back from ``node_id`` past nodes that keep their input's shape (ReLU, Dropout, the
    Output itself) to the one that sets it."""
    while True:
        info = analysis.nodes[node_id]
        edges = graph.inputs_of(node_id)
        if len(edges) != 1 or info.input_shapes != [info.output_shape]:
            return node_id
        if any(p.name == "out_features" for p in get_spec(info.type).params):
            return node_id
        node_id = edges[0].source
