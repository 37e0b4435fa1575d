"""Feature capture: one probe sample through a no-grad eval forward of the feature extractor.

The training forward pass carries no hooks; a capture costs one single-sample forward (well under
a millisecond for LeNet-5) and copies only the probe's activations, never a batch.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
import torch.fx as fx

from cnnstudio.torch_backend.compiler import NODE_IDS, feature_extractor
from cnnstudio.torch_backend.inside import InsideGroups
from cnnstudio.train.callbacks import Features
from cnnstudio.train.capture_settings import CaptureSettings
from cnnstudio.train.loss import probabilities


class FeatureProbe:
    """Runs the probe for a compiled model; knows which submodule belongs to which node, a
    block inside a group by its path (``layer1.0/conv1`` is module ``layer1.0.conv1``)."""

    def __init__(self, model: fx.GraphModule, output_kind: str) -> None:
        self.model = model
        self.extractor = feature_extractor(model)
        self.output_kind = output_kind
        ids: dict[str, str] = model.meta[NODE_IDS]
        self.inside = InsideGroups(model)
        self.modules = self.inside.modules
        self.output_node = next(
            ids[a.name]
            for n in model.graph.nodes
            if n.op == "output"
            for a in n.all_input_nodes
            if a.name in ids
        )
        convs = [
            node_id
            for node_id, name in self.modules.items()
            if isinstance(model.get_submodule(name), torch.nn.Conv2d)
        ]
        self.first_conv = convs[0] if convs else None

    def capture(
        self,
        sample: torch.Tensor,
        nodes: Iterable[str] | None,
        weight_nodes: Iterable[str],
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """Activations (no batch dimension), weight copies and class probabilities for ``sample``.

        ``nodes`` may name blocks inside groups by path; None: every node, those inside too.
        """
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                outputs: dict[str, torch.Tensor] = self.extractor(sample.unsqueeze(0))
                inner = nodes is None or any("/" in n for n in nodes)
                if inner and self.inside.any:
                    outputs = {**outputs, **self.inside.activations(self.model, outputs)}
        finally:
            self.model.train(was_training)
        wanted = outputs.keys() if nodes is None else [n for n in nodes if n in outputs]
        activations = {n: outputs[n][0].float().cpu().numpy() for n in wanted}
        probs = probabilities(outputs[self.output_node], self.output_kind)[0].cpu().numpy()
        return activations, self.weights(weight_nodes), probs

    def weights(self, nodes: Iterable[str]) -> dict[str, np.ndarray]:
        """Copies (never views: the optimizer updates parameters in place) of node weights."""
        chosen = [n for n in dict.fromkeys([self.first_conv, *nodes]) if n is not None]
        out: dict[str, np.ndarray] = {}
        for node_id in chosen:
            name = self.modules.get(node_id)
            weight = getattr(self.model.get_submodule(name), "weight", None) if name else None
            if isinstance(weight, torch.Tensor):
                out[node_id] = weight.detach().float().cpu().numpy().copy()
        return out


def features(
    probe: FeatureProbe,
    settings: CaptureSettings,
    sample: torch.Tensor,
    label: int,
    sample_index: int,
    epoch: int,
    batch: int,
    step: int,
) -> Features:
    activations, weights, probs = probe.capture(sample, settings.nodes, settings.weights)
    return Features(epoch, batch, step, sample_index, label, activations, weights, probs)
