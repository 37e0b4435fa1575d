"""Learning-rate range test: train briefly while the lr grows exponentially, watch the loss.

The test trains a throw-away copy of the model with its own optimizer, so the model's weights,
its buffers (batch-norm statistics) and any optimizer of the caller are as they were; the global
RNG is forked too. The suggestion is the lr where the smoothed loss falls fastest per decade of lr
(the steepest descent), which lies safely below the lr where the loss bottoms out and diverges.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.config import TrainingConfig, training_config
from cnnstudio.train.data.batching import batches
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.device import resolve_runtime
from cnnstudio.train.faults import TrainingError
from cnnstudio.train.loss import LossFn, cross_entropy, output_kind
from cnnstudio.train.optim import build_optimizer

START_LR, END_LR = 1e-7, 10.0
MAX_STEPS = 200
SMOOTHING = 0.98  # exponential moving average of the loss (bias-corrected)
DIVERGENCE = 4.0  # stop once the smoothed loss exceeds this multiple of its best
SKIP_START, SKIP_END = 10, 5  # the average's warm-up and the blow-up say nothing of the slope

Progress = Callable[[float, float], None]  # (lr, smoothed loss) after each step


@dataclasses.dataclass(frozen=True)
class LrFinding:
    """``losses[i]`` is the smoothed training loss after the step taken at ``lrs[i]``."""

    suggested_lr: float | None
    lrs: list[float]
    losses: list[float]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``cnnstudio lr-find --json``."""
        return dataclasses.asdict(self)


def lr_range_test(
    model: torch.nn.Module,
    config: TrainingConfig,
    loss_fn: LossFn,
    data: Iterable[tuple[torch.Tensor, torch.Tensor]],
    steps: int,
    *,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LrFinding:
    """Run the test on a copy of ``model`` for at most ``steps`` batches of ``data``."""
    if steps < 2:
        raise ValueError(f"the range test needs at least 2 steps, got {steps}")
    trial = copy.deepcopy(model)
    trial.train()
    optimizer = build_optimizer(dataclasses.replace(config, lr=start_lr), trial.parameters())
    growth = (end_lr / start_lr) ** (1 / (steps - 1))
    lrs: list[float] = []
    losses: list[float] = []
    average, best = 0.0, math.inf
    with torch.random.fork_rng(devices=[]):
        for i, (x, y) in zip(range(steps), data, strict=False):
            if cancel is not None and cancel():
                break
            lr = start_lr * growth**i
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(trial(x), y)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            average = SMOOTHING * average + (1 - SMOOTHING) * value
            smoothed = average / (1 - SMOOTHING ** (i + 1))
            lrs.append(lr)
            losses.append(smoothed)
            if progress is not None:
                progress(lr, smoothed)
            best = min(best, smoothed)
            if smoothed > DIVERGENCE * best:
                break
    return LrFinding(suggest(lrs, losses), lrs, losses)


def suggest(lrs: list[float], losses: list[float]) -> float | None:
    """The lr of the steepest fall of the loss against log(lr) on the way down to its minimum
    (a collapsed network's loss may drift down again after it diverged); None on too short a curve.
    """
    if not losses:
        return None
    n = len(losses)  # short sweeps (a small dataset's one epoch) skip less
    lo = min(SKIP_START, n // 10)
    hi = min(n - min(SKIP_END, n // 20), int(np.argmin(losses)) + 1)
    if hi - lo < 3:
        return None
    slope = np.gradient(np.asarray(losses[lo:hi]), np.log(np.asarray(lrs[lo:hi])))
    return float(lrs[lo + int(np.argmin(slope))])


def find_lr(
    project: Project,
    dataset: Dataset | None = None,
    *,
    max_steps: int = MAX_STEPS,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LrFinding:
    """The range test on ``project``'s freshly initialised network, over at most one epoch.

    Raises ConfigError, DatasetError or TrainingError as training would.
    """
    config = training_config(project.training)
    runtime = resolve_runtime(config)
    analysis = analyze(project.graph)
    if not analysis.valid or analysis.input_shape is None or analysis.output_id is None:
        raise TrainingError(
            "graph", "cannot train: " + "; ".join(i.message for i in analysis.errors)
        )
    if dataset is None:
        dataset = dataset_from_config(
            project.dataset, tuple(analysis.input_shape), base_dir=project.base_dir
        )
    model = compile_graph(project.graph, seed=config.seed, name=project.name, analysis=analysis)
    model.to(runtime.device)
    loss_fn = cross_entropy(output_kind(project.graph, analysis.output_id), config.label_smoothing)
    steps = min(max_steps, len(dataset.train) // config.batch_size)
    if steps < 2:
        raise TrainingError(
            "data",
            f"the range test needs 2 full batches of {config.batch_size} training samples; "
            f"the dataset has {len(dataset.train)}",
        )
    generator = torch.Generator().manual_seed(config.seed)
    data = batches(
        dataset.train,
        config.batch_size,
        shuffle=True,
        generator=generator,
        normalization=dataset.normalization,
        augment=dataset.augment,
        device=runtime.device,
        drop_last=True,
    )
    threads_before = torch.get_num_threads()
    torch.set_num_threads(runtime.threads)
    try:
        return lr_range_test(model, config, loss_fn, data, steps, progress=progress, cancel=cancel)
    finally:
        torch.set_num_threads(threads_before)
