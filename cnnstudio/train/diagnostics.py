"""Gradient norms, weight-update ratios and dead ReLUs: what vanishing gradients look like.

Measured on a few training batches per epoch only (the capture batches), so the training
forward and backward carry no hooks: before the optimizer step of such a batch the weights are
copied, after it ``torch._foreach_norm`` gives every parameter's gradient, weight and change
norm in a handful of kernel calls, folded into per-layer norms with one ``index_add_``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.fx as fx
from torch import nn

from cnnstudio.torch_backend.compiler import NODE_IDS
from cnnstudio.train.callbacks import Diagnostics
from cnnstudio.train.capture import FeatureProbe

VAL_CAPTURE = 64  # validation samples whose ReLU outputs are counted each epoch


class GradientMonitor:
    """Per-layer gradient statistics of a compiled model's parametrised nodes, by epoch."""

    def __init__(self, model: fx.GraphModule) -> None:
        ids: dict[str, str] = model.meta[NODE_IDS]
        layers: list[str] = []
        params: list[nn.Parameter] = []
        owner: list[int] = []
        for node in model.graph.nodes:  # the graph's order is the network's
            if node.op != "call_module" or node.name not in ids:
                continue
            own = [p for p in model.get_submodule(str(node.target)).parameters() if p.requires_grad]
            if own:
                owner += [len(layers)] * len(own)
                layers.append(ids[node.name])
                params += own
        self.layers = tuple(layers)
        self._params = params
        device = params[0].device if params else torch.device("cpu")
        self._owner = torch.tensor(owner, dtype=torch.int64, device=device)
        self._before: list[torch.Tensor] | None = None
        self.reset()

    def reset(self) -> None:
        """Start a new epoch."""
        n = len(self.layers)
        self._grad_sum = np.zeros(n)
        self._ratio_sum = np.zeros(n)
        self._peak_share = np.zeros(n)
        self._batches = 0

    def before_step(self) -> None:
        """Called before a measured batch's training step: keeps the weights it starts from."""
        if self._params:
            self._before = [p.detach().clone() for p in self._params]

    def after_step(self) -> None:
        """Called after that step: folds its gradient and update norms into the epoch's."""
        before, self._before = self._before, None
        if before is None:
            return
        with torch.no_grad():
            grads = [
                p.grad.detach() if p.grad is not None else torch.zeros_like(p) for p in self._params
            ]
            changes = torch._foreach_sub([p.detach() for p in self._params], before)
            per_param = torch.stack(
                [torch.stack(torch._foreach_norm(t)).double() for t in (grads, before, changes)]
            )
            squared = torch.zeros(3, len(self.layers), dtype=torch.float64, device=per_param.device)
            squared.index_add_(1, self._owner, per_param.square())
            grad, weight, change = squared.sqrt().cpu().numpy()
        self._grad_sum += grad
        self._ratio_sum += change / np.maximum(weight, np.finfo(np.float64).tiny)
        largest = grad.max(initial=0.0)
        if largest > 0 and np.isfinite(largest):
            np.maximum(self._peak_share, grad / largest, out=self._peak_share)
        self._batches += 1

    def report(self, epoch: int, relu_zeros: dict[str, float]) -> Diagnostics:
        """The epoch's figures; NaN for a layer when no batch was measured."""
        n = self._batches
        unknown = np.full(len(self.layers), np.nan)
        return Diagnostics(
            epoch=epoch,
            layers=self.layers,
            grad_norm=self._grad_sum / n if n else unknown,
            update_ratio=self._ratio_sum / n if n else unknown,
            peak_grad_share=self._peak_share.copy() if n else unknown,
            batches=n,
            relu_zeros=relu_zeros,
        )


def relu_zero_shares(probe: FeatureProbe, images: torch.Tensor) -> dict[str, float]:
    """Each ReLU node's share of zero outputs over ``images`` (normalised, on the model's
    device); one inside a group under its path (``layer1.0/relu1``)."""
    relus = [
        node
        for node, name in probe.modules.items()
        if isinstance(probe.model.get_submodule(name), nn.ReLU)
    ]
    if not relus or images.shape[0] == 0:
        return {}
    was_training = probe.model.training
    probe.model.eval()
    try:
        with torch.no_grad():
            outputs = probe.extractor(images)
            if any("/" in node for node in relus):
                outputs = {**outputs, **probe.inside.activations(probe.model, outputs)}
    finally:
        probe.model.train(was_training)
    return {node: float((outputs[node] == 0).float().mean()) for node in relus}
