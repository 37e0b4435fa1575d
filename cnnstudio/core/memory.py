"""Will it fit? The peak memory of one training step, estimated from the shape analysis.

A step holds the parameters, their gradients, the optimizer's state, every tensor autograd keeps
for the backward pass and, briefly, the gradients flowing back through the largest activations.
What each block keeps is declared on its spec (``BlockSpec.saved_for_backward``); a tensor kept
by two blocks (a ReLU's output that the next convolution saves as its input) counts once, and a
view (Flatten) shares its input's memory. No tensor is made: this runs on every edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.blocks import Saved, get_spec, numel
from cnnstudio.core.graph import GROUP, GraphModel
from cnnstudio.core.groups import flattened

# Optimizer state per parameter, in parameter-sized tensors (momentum ones when momentum > 0).
OPTIMIZER_STATE = {"sgd": 0, "adam": 2, "adamw": 2, "rmsprop": 1, "none": 0}
MOMENTUM_STATE = {"sgd": 1, "rmsprop": 1}
INDEX_BYTES = 8  # max pooling keeps int64 indices
LOSS_BYTES = 4  # the loss is computed in float32 (log-softmax of the logits is kept)
# Backward holds the gradient a block sends on beside the one it received (counted as kept): one
# more of the largest activations, beside the largest unfolded input (im2col) of a convolution.
TRANSIENT_GRADIENTS = 1
# What a step's process holds beyond its tensors, measured for the examples on CPU (allocator
# arenas, kernel caches sized by the shapes); see benchmarks/memory_estimate.py.
RUNTIME_BYTES = 3_000_000
HEADROOM = 0.1  # "fits" leaves 10 % of the available memory free


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of one training step at ``batch_size``, by what holds them."""

    batch_size: int
    parameters: int
    gradients: int
    optimizer_state: int
    activations: int  # kept for backward, the input batch and the loss included
    workspace: int  # gradients in flight and summed at branches, a convolution's unfolded input
    runtime: int = RUNTIME_BYTES  # allocator and kernel caches

    @property
    def total(self) -> int:
        return (
            self.parameters
            + self.gradients
            + self.optimizer_state
            + self.activations
            + self.workspace
            + self.runtime
        )

    @property
    def fixed(self) -> int:
        """The part that does not grow with the batch."""
        return self.parameters + self.gradients + self.optimizer_state + self.runtime

    @property
    def per_sample(self) -> float:
        return (self.activations + self.workspace) / self.batch_size

    def fits(self, available: int) -> bool:
        return self.total * (1 + HEADROOM) <= available

    def largest_batch(self, available: int) -> int:
        """The largest batch whose estimate fits ``available`` with headroom; 0 if none does."""
        room = available / (1 + HEADROOM) - self.fixed
        if room <= 0 or self.per_sample <= 0:
            return 0
        return math.floor(room / self.per_sample)

    def describe(self) -> str:
        parts = [
            ("params", self.parameters),
            ("gradients", self.gradients),
            ("optimizer", self.optimizer_state),
            ("activations", self.activations),
            ("workspace", self.workspace),
            ("runtime", self.runtime),
        ]
        shown = ", ".join(f"{name} {format_bytes(n)}" for name, n in parts if n)
        return f"≈ {format_bytes(self.total)} ({shown})"


def estimate_step_memory(
    graph: GraphModel,
    analysis: Analysis,
    batch_size: int,
    optimizer: str = "adam",
    *,
    momentum: float = 0.0,
    dtype_bytes: int = 4,
    amp: bool = False,
) -> MemoryEstimate:
    """Peak bytes of one training step of ``graph`` (its valid nodes only), from its ``analysis``.

    ``optimizer`` is a ``training.optimizer`` name (or ``none``); ``amp`` halves the activations
    (autocast computes convolutions and linear layers in 16 bits) and adds the 16-bit copy of the
    weights autocast keeps during the step.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if optimizer not in OPTIMIZER_STATE:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_STATE)}")
    if any(n.is_group for n in graph) and analysis.valid:
        # Per-block rules (what autograd keeps) apply to the blocks inside each group.
        graph = flattened(graph)
        analysis = analyze(graph)
    nodes = analysis.nodes
    order = [
        n for n in analysis.model_order() if nodes[n].status == "ok" and nodes[n].type != GROUP
    ]
    act_bytes = 2 if amp else dtype_bytes
    owner: dict[str, str] = {}  # node -> the node whose memory its output is
    kept: set[str] = set()
    extra = 0  # per sample: indices and masks
    columns = 0  # per sample: the largest unfolded input
    for node_id in order:
        info = nodes[node_id]
        spec = get_spec(info.type)
        sources = [e.source for e in graph.inputs_of(node_id) if e.source in owner]
        owner[node_id] = owner[sources[0]] if spec.aliases_input and sources else node_id
        saved = spec.saved_for_backward
        if Saved.INPUT in saved:
            kept.update(owner[s] for s in sources)
        if Saved.OUTPUT in saved:
            kept.add(owner[node_id])
        size = numel(info.output_shape) if info.output_shape else 0
        if Saved.INDICES in saved:
            extra += size * INDEX_BYTES
        if Saved.COLUMNS in saved and info.output_shape:
            columns = max(columns, info.macs // info.output_shape[0] * act_bytes)
        if Saved.MASK in saved:
            extra += sum(_size(analysis, s) for s in sources) * act_bytes
    if analysis.input_id in owner:
        kept.add(analysis.input_id)  # the batch itself lives through the step
    loss = 0
    if analysis.output_id in owner:
        feeding = graph.inputs_of(analysis.output_id)
        logits = [owner[e.source] for e in feeding if e.source in owner]
        kept.update(logits)  # returned to the loop, which reads them for accuracy
        loss = sum(_size(analysis, s) for s in logits) * LOSS_BYTES
    per_sample = sum(_size(analysis, n) for n in kept) * act_bytes + extra + loss
    largest = max((_size(analysis, n) for n in order if owner[n] == n), default=0)
    consumers: dict[str, int] = {}
    for edge in graph.edges:
        if edge.source in owner and edge.target in owner:
            consumers[edge.source] = consumers.get(edge.source, 0) + 1
    branch = max((_size(analysis, n) for n, k in consumers.items() if k > 1), default=0)
    params = analysis.total_params
    states = OPTIMIZER_STATE[optimizer] + (MOMENTUM_STATE.get(optimizer, 0) if momentum else 0)
    return MemoryEstimate(
        batch_size=batch_size,
        parameters=params * dtype_bytes + (params * 2 if amp else 0),
        gradients=params * dtype_bytes,
        optimizer_state=params * dtype_bytes * states,
        activations=per_sample * batch_size,
        workspace=((TRANSIENT_GRADIENTS * largest + branch) * act_bytes + columns) * batch_size,
    )


def _size(analysis: Analysis, node_id: str) -> int:
    shape = analysis.nodes[node_id].output_shape
    return numel(shape) if shape else 0


def format_bytes(n: float) -> str:
    """``0.2 MB``, ``180 MB``, ``21 GB``: decimal units, two or three significant digits."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n:.0f} B"
