"""How fast is shape analysis on large graphs? The editor re-analyses after every edit.

Builds seeded random valid graphs of about 100, 500 and 2000 nodes (a long chain of residual
blocks with Add merges and Inception-style Concat branches) and prints the median time of
``analyze`` over several runs. Target: at most 50 ms for 500 nodes, so edits feel immediate.

Run: ``python benchmarks/analysis_speed.py``
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import Edge, GraphModel, Node

SIZES = (100, 500, 2000)
RUNS = 9
TARGET_MS_AT_500 = 50.0


class _Builder:
    """Appends blocks to a chain, tracking the channels and the last node."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.graph = GraphModel()
        self.channels, self.size = 16, 32
        self.last = self._add("Input", {"shape": [3, 32, 32]}, [])
        self.last = self._add("Conv2d", {"out_channels": 16, "padding": 1}, [self.last])

    def _add(self, block: str, params: dict[str, Any], sources: list[str]) -> str:
        node_id = self.graph.new_id(block)
        self.graph.add_node(Node(node_id, block, params))
        for port, source in enumerate(sources):
            self.graph.connect(Edge(source, node_id, port))
        return node_id

    def residual(self) -> None:
        c, skip = self.channels, self.last
        x = self._add("Conv2d", {"out_channels": c, "padding": 1, "bias": False}, [skip])
        x = self._add("BatchNorm2d", {}, [x])
        x = self._add("ReLU", {}, [x])
        x = self._add("Conv2d", {"out_channels": c, "padding": "same", "bias": False}, [x])
        x = self._add("BatchNorm2d", {}, [x])
        x = self._add("Add", {}, [x, skip])
        self.last = self._add("ReLU", {}, [x])

    def inception(self) -> None:
        c, start = self.channels, self.last
        a = self._add("Conv2d", {"out_channels": c // 2, "kernel_size": 1}, [start])
        b = self._add("Conv2d", {"out_channels": c // 4, "padding": 1}, [start])
        p = self._add("MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, [start])
        d = self._add("Conv2d", {"out_channels": c // 4, "kernel_size": 1}, [p])
        self.last = self._add("Concat", {"dim": 1}, [a, b, d])

    def downsample(self) -> None:
        if self.size <= 4:
            return
        self.channels = min(2 * self.channels, 256)
        params = {"out_channels": self.channels, "stride": 2, "padding": 1}
        self.last = self._add("Conv2d", params, [self.last])
        self.size //= 2

    def finish(self) -> GraphModel:
        x = self._add("AdaptiveAvgPool2d", {}, [self.last])
        x = self._add("Flatten", {}, [x])
        x = self._add("Linear", {"out_features": 10}, [x])
        self._add("Output", {}, [x])
        return self.graph


def build_graph(nodes: int, seed: int = 0) -> GraphModel:
    """A valid graph with about ``nodes`` nodes (within one block of it)."""
    builder = _Builder(random.Random(seed))
    while len(builder.graph) < nodes - 4:
        roll = builder.rng.random()
        if roll < 0.6:
            builder.residual()
        elif roll < 0.9:
            builder.inception()
        else:
            builder.downsample()
    return builder.finish()


def median_ms(graph: GraphModel, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        analyze(graph)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    print(f"analyze(): median of {RUNS} runs")
    print(f"{'nodes':>6}  {'edges':>6}  {'median ms':>9}  {'us/node':>7}")
    at_500 = 0.0
    for size in SIZES:
        graph = build_graph(size)
        result = analyze(graph)
        if not result.valid:
            print(f"benchmark graph is invalid: {result.errors[0].message}", file=sys.stderr)
            return 1
        ms = median_ms(graph)
        if size == 500:
            at_500 = ms
        print(f"{len(graph):>6}  {len(graph.edges):>6}  {ms:>9.2f}  {ms * 1000 / len(graph):>7.1f}")
    ratio = at_500 / TARGET_MS_AT_500
    verdict = "within" if ratio <= 1 else "OVER"
    print(
        f"500 nodes: {at_500:.2f} ms = {ratio:.2f}x the {TARGET_MS_AT_500:g} ms target ({verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
