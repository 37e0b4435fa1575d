"""Hypothesis strategies for random cnnstudio graphs, shared by the core and torch tests.

``graphs()`` draws connected networks from an Input to an Output: a chain of blocks with
residual ``Add`` branches and ``Concat`` branches. Block types and parameters are drawn from the
block specs themselves, so a new block is covered without touching this file. Sizes stay small
(at most ``MAX_ELEMENTS`` activations per node) so that compiled models run fast.

With ``valid=True`` (the default) every layer is redrawn until its shape rule accepts it, so
``analyze(graph).valid`` holds; ``valid=False`` keeps whatever was drawn and may also drop an
edge or add stray nodes, for tests that analysis copes with anything.

Import as ``from strategies import graphs`` (``tests/`` is on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from cnnstudio.core.blocks import Shape, all_specs, get_spec, numel
from cnnstudio.core.errors import ShapeError
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.params import Param

MAX_ELEMENTS = 4096
MAX_SIDE = 64
RETRIES = 4

STRUCTURE = ("Input", "Output", "Add", "Concat")
LAYER_TYPES = tuple(s.type for s in all_specs() if s.type not in STRUCTURE)

# Realistic small ranges for parameters whose bounds allow huge values; any other parameter is
# drawn from its spec (bounds, choices, nullability) by ``param_values``.
_SMALL_INT = {
    "out_channels": (1, 8),
    "out_features": (1, 16),
    "groups": (1, 2),
    "num_groups": (1, 4),
    "num_parameters": (1, 1),
    "dim": (-3, 3),
    "start_dim": (-3, 3),
    "end_dim": (-3, 3),
}
_SMALL_PAIR = {
    "kernel_size": (1, 4),
    "stride": (1, 3),
    "padding": (0, 2),
    "dilation": (1, 2),
    "output_padding": (0, 1),
    "output_size": (1, 4),
    "size": (1, 16),
}


def _bounded_int(p: Param, limits: tuple[int, int] | None) -> st.SearchStrategy[int]:
    lo = int(p.minimum) if p.minimum is not None else -4
    hi = int(p.maximum) if p.maximum is not None else lo + 8
    if limits is not None:
        lo, hi = max(lo, limits[0]), min(hi, limits[1])
    return st.integers(lo, min(hi, lo + 8))


def param_values(p: Param) -> st.SearchStrategy[Any]:
    """Valid values for one parameter, small enough to keep tensors small."""
    strategy: st.SearchStrategy[Any]
    if p.kind == "int":
        strategy = _bounded_int(p, _SMALL_INT.get(p.name))
    elif p.kind == "float":
        lo = p.minimum if p.minimum is not None else -10.0
        hi = p.maximum if p.maximum is not None else 10.0
        if p.name == "scale_factor":
            lo, hi = 0.5, 2.0
        strategy = st.floats(max(lo, -10.0), min(hi, 10.0), allow_nan=False)
    elif p.kind == "bool":
        strategy = st.booleans()
    elif p.kind == "choice":
        strategy = st.sampled_from(p.choices)
    elif p.kind in ("pair", "padding", "pad4"):
        one = _bounded_int(p, _SMALL_PAIR.get(p.name, (0, 3)))
        size = 4 if p.kind == "pad4" else 2
        strategy = one | st.lists(one, min_size=size, max_size=size)
        if p.kind == "padding":
            strategy |= st.sampled_from(p.choices)
    else:
        strategy = st.lists(st.integers(1, 8), min_size=1, max_size=3)
    if p.nullable:
        strategy |= st.none()
    return strategy


def block_params(block: str) -> st.SearchStrategy[dict[str, Any]]:
    """Parameter dicts for ``block``; each parameter is either drawn or left at its default."""
    spec = get_spec(block)
    return st.fixed_dictionaries({}, optional={p.name: param_values(p) for p in spec.params})


@dataclass
class _Draft:
    """Nodes and edges drawn so far, with the output shape of each node (None: unknown)."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    shapes: dict[str, Shape | None] = field(default_factory=dict)

    def add(self, block: str, params: dict[str, Any], sources: list[str]) -> str:
        node_id = f"{block.lower()}_{len(self.nodes)}"
        self.nodes.append(Node(node_id, block, params, (len(self.nodes) * 200.0, 0.0)))
        self.edges += [Edge(s, node_id, port) for port, s in enumerate(sources)]
        self.shapes[node_id] = _infer(block, params, [self.shapes[s] for s in sources])
        return node_id


def _infer(block: str, params: dict[str, Any], inputs: list[Shape | None]) -> Shape | None:
    """The shape the block's rule gives, or None if an input is unknown or the rule refuses."""
    shapes = [s for s in inputs if s is not None]
    if len(shapes) < len(inputs):
        return None
    try:
        return get_spec(block).infer(shapes, params).shape
    except ShapeError:
        return None


def _small(shape: Shape | None) -> bool:
    return shape is not None and numel(shape) <= MAX_ELEMENTS and max(shape) <= MAX_SIDE


@st.composite
def _layer(draw: st.DrawFn, g: _Draft, src: str, valid: bool, keep_rank: bool = False) -> str:
    """One block after ``src``; when ``valid``, redrawn until its shape rule accepts it."""
    before = g.shapes[src]
    for _ in range(RETRIES):
        block = draw(st.sampled_from(LAYER_TYPES))
        params = draw(block_params(block))
        shape = _infer(block, params, [before])
        if not valid:
            return g.add(block, params, [src])
        rank_ok = not keep_rank or before is None or (shape and len(shape) == len(before))
        if _small(shape) and rank_ok:
            return g.add(block, params, [src])
    return g.add("Identity", {}, [src])


@st.composite
def _branch(draw: st.DrawFn, g: _Draft, src: str, valid: bool) -> str:
    """Zero to two rank-keeping layers after ``src``."""
    end = src
    for _ in range(draw(st.integers(0, 2))):
        end = draw(_layer(g, end, valid, keep_rank=True))
    return end


def _match(g: _Draft, node: str, target: Shape | None, channels: bool, fallback: str) -> str:
    """``node`` brought to ``target``'s height and width (and channels if ``channels``) the way
    a projection shortcut does it, or ``fallback`` where that is impossible or too large."""
    shape = g.shapes[node]
    if shape is None or target is None or shape == target:
        return node
    steps: list[tuple[str, dict[str, Any]]] = []
    if len(shape) == 3 and len(target) == 3:
        if channels and shape[0] != target[0]:
            steps.append(("Conv2d", {"out_channels": target[0], "kernel_size": 1}))
        if shape[1:] != target[1:]:
            steps.append(("AdaptiveAvgPool2d", {"output_size": list(target[1:])}))
    elif len(shape) == 1 and len(target) == 1:
        if channels:
            steps.append(("Linear", {"out_features": target[0]}))
    else:
        return fallback
    for block, params in steps:
        shape = _infer(block, params, [shape])
        if not _small(shape):
            return fallback
    for block, params in steps:
        node = g.add(block, params, [node])
    return node


def _merge(g: _Draft, block: str, params: dict[str, Any], sources: list[str], valid: bool) -> str:
    """A merge node; when ``valid`` and its inputs still disagree, it merges copies of the first."""
    if valid and not _small(_infer(block, params, [g.shapes[s] for s in sources])):
        sources = [sources[0]] * len(sources)
    return g.add(block, params, sources)


@st.composite
def _residual(draw: st.DrawFn, g: _Draft, src: str, valid: bool) -> str:
    target = g.shapes[src]
    ends = [draw(_branch(g, src, valid)) for _ in range(draw(st.integers(1, 2)))]
    ends = [_match(g, e, target, channels=True, fallback=src) for e in ends]
    return _merge(g, "Add", {}, [src, *ends], valid)


@st.composite
def _concat(draw: st.DrawFn, g: _Draft, src: str, valid: bool) -> str:
    first, *rest = [draw(_branch(g, src, valid)) for _ in range(draw(st.integers(2, 3)))]
    shape = g.shapes[first]
    if shape is not None and len(shape) == 3:
        target = (0, *shape[1:])  # channels are free: only height and width must agree
        rest = [_match(g, e, target, channels=False, fallback=first) for e in rest]
        dim = draw(st.sampled_from([1, -3]))
    else:
        dim = draw(st.sampled_from([1, -1]))
    return _merge(g, "Concat", {"dim": dim}, [first, *rest], valid)


@st.composite
def _input_shape(draw: st.DrawFn) -> list[int]:
    if draw(st.integers(0, 4)) == 0:
        return [draw(st.integers(1, 32))]
    side = st.integers(4, 12)
    return [draw(st.integers(1, 3)), draw(side), draw(side)]


@st.composite
def graphs(draw: st.DrawFn, max_steps: int = 6, valid: bool = True) -> GraphModel:
    """A GraphModel from an Input through layers and merges to an Output (see module doc)."""
    g = _Draft()
    last = g.add("Input", {"shape": draw(_input_shape())}, [])
    for _ in range(draw(st.integers(1, max_steps))):
        step = draw(st.sampled_from(["layer", "layer", "residual", "concat"]))
        if step == "layer":
            last = draw(_layer(g, last, valid))
        elif step == "residual":
            last = draw(_residual(g, last, valid))
        else:
            last = draw(_concat(g, last, valid))
    shape = g.shapes[last]
    if shape is not None and len(shape) != 1:
        last = g.add("Flatten", {}, [last])
    if draw(st.booleans()):
        last = g.add("Linear", {"out_features": draw(st.integers(1, 10))}, [last])
    g.add("Output", {}, [last])
    if not valid:
        _mischief(draw, g)
    return _assemble(draw, g)


def _mischief(draw: st.DrawFn, g: _Draft) -> None:
    """Faults a user can leave in a graph: a cut wire, a stray block, a second Output."""
    cut = draw(st.booleans())
    if cut and g.edges:
        g.edges.pop(draw(st.integers(0, len(g.edges) - 1)))
    if draw(st.booleans()):
        block = draw(st.sampled_from(LAYER_TYPES + STRUCTURE))
        g.nodes.append(Node(f"stray_{len(g.nodes)}", block, draw(block_params(block))))


def _assemble(draw: st.DrawFn, g: _Draft) -> GraphModel:
    """Adds the nodes in a drawn order, so no test relies on insertion order being topological."""
    graph = GraphModel()
    for node in draw(st.permutations(g.nodes)):
        graph.add_node(node)
    for edge in g.edges:
        graph.connect(edge)
    return graph
