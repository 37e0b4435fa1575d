"""Cross-entropy that fits whatever the network ends in: logits, LogSoftmax or Softmax.

A user who ends the network with Softmax (common in tutorials) would otherwise train through a
double softmax and barely learn; reading the last block picks the matching formula instead.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from cnnstudio.core.graph import GraphModel

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
_EPS = 1e-7


def output_kind(graph: GraphModel, output_id: str) -> str:
    """``logits``, ``log_probs`` or ``probs``: what the block feeding the Output produces."""
    feeding = graph.inputs_of(output_id)
    last = graph.node(feeding[0].source).type if feeding else ""
    return {"LogSoftmax": "log_probs", "Softmax": "probs"}.get(last, "logits")


def log_probabilities(outputs: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "logits":
        return F.log_softmax(outputs.float(), dim=1)
    if kind == "probs":
        return outputs.float().clamp_min(_EPS).log()
    return outputs.float()


def probabilities(outputs: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "logits":
        return F.softmax(outputs.float(), dim=1)
    if kind == "probs":
        return outputs.float()
    return outputs.float().exp()


def cross_entropy(kind: str, label_smoothing: float) -> LossFn:
    if kind == "logits":

        def from_logits(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(outputs.float(), targets, label_smoothing=label_smoothing)

        return from_logits

    def from_probs(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logp = log_probabilities(outputs, kind)
        nll = F.nll_loss(logp, targets)
        if label_smoothing == 0:
            return nll
        return (1 - label_smoothing) * nll - label_smoothing * logp.mean(dim=1).mean()

    return from_probs
