"""Shape and cost analysis: one topological walk that never raises on a user's graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cnnstudio.core.blocks import Line, Shape, fmt_shape, get_spec, numel
from cnnstudio.core.derivation import derivation_text, derive
from cnnstudio.core.errors import GraphError, ShapeError
from cnnstudio.core.graph import GROUP, GraphModel, Node
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
    # A group's inner nodes, one dict per repetition (nested groups have their own ``inner``).
    inner: list[dict[str, NodeInfo]] = field(default_factory=list)
    derivation: tuple[Line, ...] = ()  # how the shape, params and MACs follow, with numbers
    field: ReceptiveField | None = None  # what one output position sees of an image input
    path: str = ""  # inside a group, how errors and views name it: ``layer1.0/conv1``

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


@dataclass(frozen=True)
class Feed:
    """What a group's input port brings to the inner blocks it feeds: the outside tensor's
    shape and receptive field, so the maths inside a group goes on from the network's input."""

    output_shape: Shape
    field: ReceptiveField | None
    status: Status = "ok"


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

    def every_node(self, model_only: bool = False) -> list[NodeInfo]:
        """Every node in network order, a group's blocks (each repetition's own, nested ones
        too) right after the group: what views list, named by ``path`` (``layer1.0/conv1``).
        ``model_only``: just those the compiled model computes."""
        found: list[NodeInfo] = []

        def visit(infos: dict[str, NodeInfo]) -> None:
            for info in infos.values():
                if model_only and not info.in_model:
                    continue
                found.append(info)
                for repetition in info.inner:
                    visit(repetition)

        visit({n: self.nodes[n] for n in self.order})
        return found


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
    infos = _walk(graph, order, {}, "")
    for node_id in order:
        infos[node_id].in_model = node_id in in_model
        if infos[node_id].status == "error":
            issues.append(Issue(node_id, infos[node_id].message))
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


def _walk(
    graph: GraphModel, order: list[str], fed: dict[str, dict[int, Feed]], path: str
) -> dict[str, NodeInfo]:
    """Infer each node of ``order`` in turn. Inside a group, ``fed`` gives what its input
    ports bring to inner ``(node, port)`` targets and ``path`` (``layer1.0``) prefixes names."""
    infos: dict[str, NodeInfo] = {}
    for node_id in order:
        node = graph.node(node_id)
        info = infos[node_id] = NodeInfo(node_id, node.type)
        info.path = f"{path}/{node_id}" if path else node_id
        label = f"{path}/{graph.label(node_id)}" if path else graph.label(node_id)
        try:
            ports = graph.ports(node_id)
        except GraphError as exc:
            info.status, info.message = "error", f"{label}: {exc}"
            continue
        edges = graph.inputs_of(node_id)
        outside = fed.get(node_id, {})
        connected = {e.target_port for e in edges} | set(outside)
        wanted = range(ports.inputs)
        missing = [] if ports.variadic else [p for p in wanted if p not in connected]
        sources: dict[int, NodeInfo | Feed] = {e.target_port: infos[e.source] for e in edges}
        sources.update(outside)
        feeds = [sources[p] for p in sorted(sources)]
        info.input_shapes = [f.output_shape for f in feeds]
        if missing:
            what = "input is" if ports.inputs == 1 else f"input {missing[0]} is"
            info.status, info.message = "error", f"{label}: {what} not connected"
        elif any(f.status != "ok" for f in feeds):
            info.message = f"{label}: shape unknown until the nodes before it are fixed"
        elif node.is_group:
            given = [Feed(f.output_shape, f.field) for f in feeds if f.output_shape is not None]
            where = f"{path}/{node_id}" if path else node_id
            _infer_group(graph, node, given, where, label, info)
        else:
            shapes = [s for s in info.input_shapes if s is not None]
            spec = get_spec(node.type)
            params = spec.resolve(node.params)
            try:
                result = spec.rule(shapes, params)
            except ShapeError as exc:
                info.status, info.message = "error", f"{label}: {exc}"
            else:
                info.status, info.output_shape = "ok", result.shape
                info.params, info.macs, info.kwargs = result.params, result.macs, result.kwargs
                info.derivation = derive(spec, shapes, params, result)
                fields = [f.field for f in feeds]
                info.field = next_field(spec, shapes, params, fields, result.shape)
    return infos


def _infer_group(
    graph: GraphModel, node: Node, given: list[Feed], where: str, label: str, info: NodeInfo
) -> None:
    """Fill ``info`` for a group instance: its definition's inner graph with the instance's
    parameters, walked once per repetition, each fed the previous one's output (shape and
    receptive field); the first inner error becomes the group's."""
    try:
        definition = graph.definitions.get(node.definition)
        inner = definition.instantiate(node.params)
        inner.node(definition.output)
        for port in definition.inputs:
            for target, _ in port.targets:
                inner.node(target)
    except GraphError as exc:
        info.status, info.message = "error", f"{label}: {exc}"
        return
    order = inner.topological_order()
    used = _ancestors(inner, definition.output)
    shapes = [f.output_shape for f in given]
    current = given
    for rep in range(node.repeat):
        if rep and len(shapes) != 1:
            info.status, info.message = "error", f"{label}: only a group with one input repeats"
            return
        if rep and current[0].output_shape != shapes[0]:
            info.status = "error"
            info.message = (
                f"{label}: repeat needs the output shape to equal the input shape, but "
                f"{fmt_shape(shapes[0])} becomes {fmt_shape(current[0].output_shape)}"
            )
            return
        fed: dict[str, dict[int, Feed]] = {}
        for port, feed in zip(definition.inputs, current, strict=True):
            for target, index in port.targets:
                fed.setdefault(target, {})[index] = feed
        path = f"{where}.{rep}" if node.repeat > 1 else where
        infos = _walk(inner, order, fed, path)
        info.inner.append(infos)
        failed = [i for i in infos.values() if i.status == "error" and i.id in used]
        if failed:
            info.status, info.message = "error", failed[0].message
            return
        out = infos[definition.output]
        if out.output_shape is None:
            info.status, info.message = "error", f"{label}: {out.message}"
            return
        for i in infos.values():
            if i.id in used:
                i.in_model = True
                info.params += i.params
                info.macs += i.macs
        current = [Feed(out.output_shape, out.field)]
    info.status, info.output_shape, info.field = "ok", current[0].output_shape, current[0].field
    info.derivation = _group_derivation(node, shapes, info)


def _group_derivation(node: Node, shapes: list[Shape], info: NodeInfo) -> tuple[Line, ...]:
    """One line for what the whole group does (``BasicBlock ×2 = 16×32×32   (from 16×32×32)``),
    then its parameters and MACs, summed over its blocks and repetitions."""
    assert info.output_shape is not None
    name = node.definition if node.repeat == 1 else f"{node.definition} ×{node.repeat}"
    lines = [Line(name, "", info.output_shape, "from " + " and ".join(map(fmt_shape, shapes)))]
    if info.params:
        lines.append(Line("params", "", info.params, "summed over its blocks"))
    if info.macs:
        lines.append(Line("MACs", "", info.macs, "summed over its blocks"))
    return tuple(lines)


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
    if len(shape) == 1 and _sets_features(node.type):
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


def _sets_features(block: str) -> bool:
    return block != GROUP and any(p.name == "out_features" for p in get_spec(block).params)


def _size_setter(graph: GraphModel, analysis: Analysis, node_id: str) -> str:
    """Walk back from ``node_id`` past nodes that keep their input's shape (ReLU, Dropout, the
    Output itself) to the one that sets it."""
    while True:
        info = analysis.nodes[node_id]
        edges = graph.inputs_of(node_id)
        if len(edges) != 1 or info.input_shapes != [info.output_shape]:
            return node_id
        if _sets_features(info.type):
            return node_id
        node_id = edges[0].source
