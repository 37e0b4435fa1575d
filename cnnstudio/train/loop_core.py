"""Training rules shared by the app's trainer and the exported ``train.py``.

This module imports nothing from cnnstudio: the script exporter copies it verbatim into the
standalone script (see ``cnnstudio.export.embed``), so the input scaling, the normalisation
statistics, the early-stopping rule, the steps of an epoch, each process's share of a global
batch with its loss weight, and the exit of a torchrun process are written once and a fix lands
in both.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any, Protocol

import torch

STATS_CHUNK = 1024
LAZY_STATS_SAMPLES = 2048  # images sampled for statistics of images decoded on demand
MIN_STD = 1e-6


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 in [0, 255] to float32 in [0, 1]; float input becomes float32 unchanged."""
    if x.dtype == torch.uint8:
        return x.to(torch.float32).div_(255.0)
    return x.to(torch.float32)


def channel_stats(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel float64 mean and std of ``(N, C, H, W)`` images on the [0, 1] scale.

    ``x`` is a tensor (summed in chunks, so big uint8 datasets never go float whole) or a
    sequence of images decoded on demand, estimated from an evenly spread sample of at most
    ``LAZY_STATS_SAMPLES`` images, since decoding all of them could take minutes.
    """
    n = len(x)
    if n == 0:
        raise ValueError("cannot compute normalisation statistics of an empty split")
    chunks: Iterator[torch.Tensor]
    if isinstance(x, torch.Tensor):
        chunks = (x[i : i + STATS_CHUNK] for i in range(0, n, STATS_CHUNK))
    else:
        picks = torch.linspace(0, n - 1, min(n, LAZY_STATS_SAMPLES)).round().long()
        chunks = (
            torch.stack([x[int(i)] for i in picks[j : j + STATS_CHUNK]])
            for j in range(0, len(picks), STATS_CHUNK)
        )
    sums = squares = torch.zeros((), dtype=torch.float64)
    count = 0
    for chunk in chunks:
        values = chunk.to(torch.float64)
        if chunk.dtype == torch.uint8:
            values /= 255.0
        sums = sums + values.sum(dim=(0, 2, 3))
        squares = squares + values.square().sum(dim=(0, 2, 3))
        count += values.numel() // values.shape[1]
    mean = sums / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt().clamp_min(MIN_STD)
    return mean, std


class StoppingRule(Protocol):
    """The fields of ``cnnstudio.train.config.EarlyStopping`` the rule reads."""

    @property
    def metric(self) -> str: ...

    @property
    def patience(self) -> int: ...

    @property
    def min_delta(self) -> float: ...


def early_stop(
    rule: StoppingRule | None,
    best: float | None,
    bad_epochs: int,
    val_loss: float,
    val_accuracy: float,
) -> tuple[float | None, int, bool]:
    """One epoch of the early-stopping rule: the new (best, bad epochs) and whether to stop.

    A run stops after ``patience`` epochs in a row without an improvement over ``min_delta``
    of the best value so far.
    """
    if rule is None:
        return best, bad_epochs, False
    value = -val_loss if rule.metric == "val_loss" else val_accuracy
    if best is None or value > best + rule.min_delta:
        return value, 0, False
    return best, bad_epochs + 1, bad_epochs + 1 >= rule.patience


def batches_per_epoch(samples: int, batch_size: int, processes: int = 1) -> int:
    """Optimizer steps in an epoch of ``samples`` in global batches of ``batch_size``.

    A last short batch is skipped when it cannot give each of ``processes`` a sample, or when
    it is a lone sample after full batches (BatchNorm rejects a batch of one).
    """
    full, rest = divmod(samples, batch_size)
    keep_rest = rest >= processes and (rest > 1 or full == 0)
    return full + (1 if keep_rest else 0)


def process_share(batch: torch.Tensor, processes: int, rank: int) -> torch.Tensor:
    """This process's slice of a global batch (the first ``len % processes`` get one more)."""
    return torch.tensor_split(batch, processes)[rank]


def loss_weight(share: int, processes: int, batch: int) -> float:
    """Scales a process's mean loss so DistributedDataParallel's gradient average (over
    processes) is the exact mean over the global batch, even when the shares differ."""
    return share * processes / batch


def leave(code: int) -> None:
    """End the process with ``code``.

    A process of a torchrun job ends without the interpreter's teardown: after
    ``destroy_process_group`` gloo still had threads in torch's C++ state, and destroying them
    during finalisation aborted a process now and then ("terminate called without an active
    exception", SIGABRT) after all its work was done, so a good run was reported as failed.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
