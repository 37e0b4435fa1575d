"""Fixtures for core tests: small graphs built from compact descriptions, and a signal recorder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from cnnstudio.core.graph import Edge, GraphModel, Node

Layer = tuple[str, str, dict[str, Any]]

SIGNALS = (
    "node_added",
    "node_removed",
    "edge_added",
    "edge_removed",
    "params_changed",
    "node_renamed",
    "node_moved",
    "changed",
)


@pytest.fixture
def make_chain() -> Callable[..., GraphModel]:
    """``make_chain(layers, shape=[...])``: Input 'input' -> each (id, type, params) -> Output 'out'."""

    def build(layers: Sequence[Layer], shape: Sequence[int] = (3, 32, 32)) -> GraphModel:
        g = GraphModel()
        g.add_node(Node("input", "Input", {"shape": list(shape)}))
        prev = "input"
        for node_id, block, params in layers:
            g.add_node(Node(node_id, block, dict(params)))
            g.connect(Edge(prev, node_id))
            prev = node_id
        g.add_node(Node("out", "Output"))
        g.connect(Edge(prev, "out"))
        return g

    return build


@pytest.fixture
def residual(make_chain: Callable[..., GraphModel]) -> GraphModel:
    """input -> conv1 -> relu1 -> add1(port 0: relu1, port 1: conv1) -> flat -> fc -> out."""
    g = make_chain(
        [
            ("conv1", "Conv2d", {"out_channels": 8, "padding": 1}),
            ("relu1", "ReLU", {}),
            ("add1", "Add", {}),
            ("flat", "Flatten", {}),
            ("fc", "Linear", {"out_features": 10}),
        ],
        shape=[3, 8, 8],
    )
    g.connect(Edge("conv1", "add1", 1))
    return g


class SignalLog:
    """Records every signal a GraphModel emits, in order, as (name, args)."""

    def __init__(self, graph: GraphModel) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in SIGNALS:
            getattr(graph, name).connect(self._recorder(name))

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.events.append((name, args))

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def signal_log() -> Callable[[GraphModel], SignalLog]:
    return SignalLog
