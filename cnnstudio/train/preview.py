"""One real sample through the network as it stands, for the editor's live preview.

A valid network is compiled as training would compile it (the same seeded initialisation, the
trained weights where they still fit), and its feature extractor gives every node's
activation. Nodes the compiled model leaves out (a branch not yet wired to the Output, or the
valid part of a network with errors elsewhere) are evaluated one by one after it, so a block
shows its output as soon as its inputs are known.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnstudio.core.activations import ActivationStats, dead_activation_issues
from cnnstudio.core.analysis import Analysis, Issue, analyze
from cnnstudio.core.blocks import Lowering, get_spec
from cnnstudio.core.graph import GraphModel
from cnnstudio.torch_backend.compiler import (
    build_module,
    compile_graph,
    feature_extractor,
    group_module,
    resolve,
)
from cnnstudio.torch_backend.inside import InsideGroups
from cnnstudio.train.checkpoint import read_weights
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.data.normalize import to_float

SEED = 0  # compile_graph's default: the initialisation a run starts from


@dataclass(frozen=True)
class PreviewJob:
    """What one preview computes; ``graph`` is a copy nobody edits while it runs."""

    generation: int
    graph: GraphModel
    dataset: Dataset
    sample: int
    weights: Path | None


@dataclass(frozen=True)
class PreviewResult:
    """Every reachable node's activation for the sample (no batch dimension)."""

    generation: int
    sample: int
    label: str
    activations: dict[str, np.ndarray]
    stats: dict[str, ActivationStats]
    issues: list[Issue]
    weights: str  # which weights gave it, for the user


class Superseded(Exception):
    """A newer job arrived while this one ran: its result would be stale."""


class PreviewComputer:
    """Computes previews; keeps the last weights file read (it changes only with a new run)."""

    def __init__(self) -> None:
        self._weights: tuple[Path, int, dict[str, torch.Tensor]] | None = None

    def compute(self, job: PreviewJob, superseded: Callable[[], bool]) -> PreviewResult:
        """Raises ``Superseded`` when ``superseded()`` turns true between steps."""

        def check() -> None:
            if superseded():
                raise Superseded

        graph, dataset = job.graph, job.dataset
        analysis = analyze(graph)
        val = dataset.val
        index = min(max(job.sample, 0), len(val) - 1)
        x = dataset.normalization.apply(to_float(val.x[index].unsqueeze(0)))
        label = dataset.class_names[int(val.y[index])]
        check()
        activations: dict[str, torch.Tensor] = {}
        inner: dict[str, torch.Tensor] = {}
        owner: dict[str, str] = {}
        used = "no weights (the network has errors)"
        with torch.inference_mode():
            if analysis.valid:
                model = compile_graph(graph, seed=SEED, analysis=analysis)
                used = self._load_fitting(model, job.weights)
                check()
                activations = dict(feature_extractor(model).eval()(x))
                inside = InsideGroups(model)
                inner, owner = inside.activations(model, activations), inside.owner
                check()
            _evaluate_rest(graph, analysis, x, activations)
        arrays = {k: v[0].float().numpy().copy() for k, v in activations.items()}
        stats = {k: _stats(a) for k, a in arrays.items()}
        what = f"validation sample {index} ({label})"
        issues = dead_activation_issues(stats, {n.id: n.type for n in graph}, what)
        # Blocks inside groups: named by path, listed under the group the canvas shows.
        inner_stats = {k: _stats(v[0].float().numpy()) for k, v in inner.items()}
        types = {i.path: i.type for i in analysis.every_node()}
        issues += [
            dataclasses.replace(issue, node=owner[issue.node])
            for issue in dead_activation_issues(inner_stats, types, what)
            if issue.node is not None
        ]
        return PreviewResult(job.generation, index, label, arrays, stats, issues, used)

    def _load_fitting(self, model: torch.nn.Module, weights: Path | None) -> str:
        """Trained tensors whose names and shapes still fit; the rest keep the seeded ones."""
        initial = f"initial weights (seed {SEED})"
        if weights is None:
            return initial
        try:
            stamp = weights.stat().st_mtime_ns
            if self._weights is None or self._weights[:2] != (weights, stamp):
                self._weights = (weights, stamp, read_weights(weights))
        except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
            return f"{initial}; the trained weights cannot be read: {exc}"
        state = model.state_dict()
        tensors = self._weights[2]
        fits = {k: v for k, v in tensors.items() if k in state and v.shape == state[k].shape}
        if not fits:
            return f"{initial}; the trained weights no longer fit"
        model.load_state_dict(fits, strict=False)
        if len(fits) == len(state):
            return "trained weights"
        return f"trained weights where they fit ({len(fits)} of {len(state)} tensors)"


def _evaluate_rest(
    graph: GraphModel, analysis: Analysis, x: torch.Tensor, values: dict[str, torch.Tensor]
) -> None:
    """Add the nodes the compiled model left out whose inputs are known, in graph order, each
    built from its spec like the compiler builds it (seeded, so a redraw shows the same)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        for node_id in analysis.order:
            if node_id in values or analysis.nodes[node_id].status != "ok":
                continue
            node = graph.node(node_id)
            args = [values.get(e.source) for e in graph.inputs_of(node_id)]
            inputs = [a for a in args if a is not None]
            if len(inputs) != len(args):
                continue
            if node.is_group:
                module = group_module(graph, node_id, analysis.nodes[node_id])
                values[node_id] = module.eval()(*inputs)
                continue
            spec = get_spec(node.type)
            kwargs = analysis.nodes[node_id].kwargs
            if spec.lowering is Lowering.INPUT:
                values[node_id] = x
            elif spec.lowering is Lowering.OUTPUT:
                values[node_id] = inputs[0]
            elif spec.function is not None:
                target = resolve(spec.function.path)
                if spec.function.chain:
                    values[node_id] = functools.reduce(lambda a, b: target(a, b, **kwargs), inputs)
                else:
                    values[node_id] = target(inputs, **kwargs)
            else:
                assert spec.torch_class is not None, spec.type
                values[node_id] = build_module(spec.torch_class, kwargs).eval()(*inputs)


def _stats(a: np.ndarray) -> ActivationStats:
    data = a.astype(np.float64)
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return ActivationStats(float("nan"), float("nan"), float("nan"), float("nan"), 0.0)
    return ActivationStats(
        float(finite.mean()),
        float(finite.std()),
        float(finite.min()),
        float(finite.max()),
        float(np.count_nonzero(data == 0) / data.size),
    )
