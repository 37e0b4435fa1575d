"""Optimizer and learning-rate schedule built from a TrainingConfig.

The schedule is a pure function of the optimizer step, applied before every step: resuming a run
needs nothing but the step count, and warmup composes with every schedule the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from cnnstudio.train.config import TrainingConfig

ONE_CYCLE_RISE = 0.3  # fraction of the (post-warmup) steps spent rising to the peak
ONE_CYCLE_START = 1 / 25  # start at lr / 25, like torch's OneCycleLR
ONE_CYCLE_END = 1e-4  # end at lr / 10_000
FUSED_DEVICES = ("cpu", "cuda")  # where torch has one-kernel SGD, Adam and AdamW steps


def build_optimizer(
    config: TrainingConfig, params: Iterable[torch.nn.Parameter]
) -> torch.optim.Optimizer:
    """The configured optimizer over ``params``.

    SGD, Adam and AdamW take torch's fused step where the parameters allow it: one kernel per
    step instead of a Python loop of small ops per tensor, which is faster and leaves a training
    thread fewer points at which to wait for the GIL while a GUI shares the process.
    """
    p, lr, wd = list(params), config.lr, config.weight_decay
    fuse = bool(p) and all(t.is_floating_point() and t.device.type in FUSED_DEVICES for t in p)
    fused = True if fuse else None  # None: torch's default (a loop, or foreach on GPUs)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            p,
            lr=lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=wd,
            fused=fused,
        )
    if config.optimizer == "adam":
        return torch.optim.Adam(p, lr=lr, weight_decay=wd, fused=fused)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(p, lr=lr, weight_decay=wd, fused=fused)
    return torch.optim.RMSprop(p, lr=lr, momentum=config.momentum, weight_decay=wd)


class LrSchedule:
    """Learning rate at each optimizer step: linear warmup, then none / step / cosine / one-cycle."""

    def __init__(self, config: TrainingConfig, steps_per_epoch: int) -> None:
        self.config = config
        self.steps_per_epoch = steps_per_epoch
        self.total = config.epochs * steps_per_epoch
        self.warmup = min(round(config.warmup_epochs * steps_per_epoch), self.total - 1)

    def lr(self, step: int) -> float:
        """The rate for optimizer step ``step`` (0-based)."""
        base = self.config.lr
        if step < self.warmup:
            return base * (step + 1) / (self.warmup + 1)
        kind = self.config.scheduler
        if kind == "step":
            epoch = step // self.steps_per_epoch
            return base * self.config.gamma ** (epoch // self.config.step_size)
        span = max(self.total - self.warmup - 1, 1)
        t = min((step - self.warmup) / span, 1.0)
        if kind == "cosine":
            return base * 0.5 * (1 + math.cos(math.pi * t))
        if kind == "one-cycle":
            if t < ONE_CYCLE_RISE:
                return base * _cosine_between(ONE_CYCLE_START, 1.0, t / ONE_CYCLE_RISE)
            u = (t - ONE_CYCLE_RISE) / (1 - ONE_CYCLE_RISE)
            return base * _cosine_between(1.0, ONE_CYCLE_END, u)
        return base

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        lr = self.lr(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        return lr


def _cosine_between(start: float, end: float, t: float) -> float:
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * t))
