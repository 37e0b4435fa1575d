"""Data-parallel runs: the same Trainer in every process of a torchrun job.

torchrun starts N copies of the worker (or of ``cnnstudio train``) with ``WORLD_SIZE``, ``RANK``
and ``LOCAL_RANK`` set. Each process builds the same session, draws the same shuffle and trains
on its share of every global batch (``loop_core.process_share``); DistributedDataParallel
averages the gradients, so N processes take the steps one process takes with the same global
batch. Rank 0 alone writes the run folder and reports; it also holds the controls (pause, stop),
which reach the other ranks in the one small all-reduce each batch makes anyway for the metrics.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import time
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from cnnstudio.train.config import ConfigError
from cnnstudio.train.metrics import RunningMetrics

M = TypeVar("M", bound=nn.Module)


class Control(enum.IntEnum):
    """What rank 0 tells every process at the next batch."""

    GO = 0
    PAUSE = 1
    STOP = 2


# Failures every rank meets alike, at the same point: same settings, data, graph, checkpoint and
# global batch losses. The ranks still leave together after one; after any other failure (out of
# memory, a bug, a callback on rank 0) the rank leaves alone and torchrun ends the job.
SHARED_FAULTS = ("config", "data", "graph", "checkpoint", "nan")


@dataclasses.dataclass(frozen=True)
class Group:
    """This process's place in the job; ``world`` 1 is a plain one-process run."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.world > 1


def torchrun_group() -> Group:
    """The job torchrun started this process in, from its environment (none: one process)."""
    return Group(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")))


def join(group: Group, device: torch.device) -> torch.device:
    """Join the job (gloo between CPU processes, nccl between GPUs); returns this rank's device."""
    if not group.parallel:
        return device
    if device.type == "mps":
        raise ConfigError(
            "training.processes", "'mps' trains in one process; use 'cpu' or 'cuda' with several"
        )
    if device.type == "cuda":
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        here = int(os.environ.get("LOCAL_WORLD_SIZE", str(group.world)))
        if here > torch.cuda.device_count():  # every rank refuses, before any collective
            raise ConfigError(
                "training.processes",
                f"{here} processes need a GPU each (nccl refuses two on one), this machine has "
                f"{torch.cuda.device_count()}; use fewer processes or device 'cpu'",
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return device


def wrap(model: nn.Module, group: Group, device: torch.device) -> nn.Module:
    """The module the training steps call: ``model`` itself, or DDP around it.

    BatchNorm as the exported script does it: synchronised across GPUs (the statistics of the
    global batch, as in one process); on CPU each process normalises by its share's statistics
    and rank 0's running statistics are used for validation (``share_buffers``).
    """
    if not group.parallel:
        return model
    return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)


def sync_batchnorm(model: M, group: Group, device: torch.device) -> M:
    """SyncBatchNorm in place of BatchNorm for a job across GPUs (the model's own modules are
    swapped, so ``model`` stays the object returned); other runs keep BatchNorm."""
    if group.parallel and device.type == "cuda":
        nn.SyncBatchNorm.convert_sync_batchnorm(model)  # type: ignore[no-untyped-call]
    return model


class BatchExchange:
    """The scores of a rank's last batches, summed over every rank in one all-reduce that also
    carries rank 0's control and the number of batches until the next exchange.

    One all-reduce per batch cost 0.4-0.7 ms on gloo with two CPU processes, about a tenth of a
    LeNet-5 step, so rank 0 spaces them ``interval`` seconds apart (the report interval): every
    rank then checks and reports the same batches, controls take effect within that time, and
    the metrics are the global batches' whatever the spacing.
    """

    MAX_WINDOW = 64

    def __init__(self, group: Group, interval: float) -> None:
        self.group, self.interval = group, interval
        self.control = Control.GO
        self.window = 1  # batches until the next exchange, as rank 0 last said
        self._scores: list[torch.Tensor] = []  # per batch: this rank's loss sum, correct count
        self._sizes: list[int] = []  # per batch: the global batch size
        self._since = time.perf_counter()

    def add(self, loss: torch.Tensor, correct: torch.Tensor, share: int, batch: int) -> None:
        """One batch: this rank's mean ``loss`` and ``correct`` over its ``share`` of ``batch``."""
        self._scores.append(torch.stack([loss.detach().double() * share, correct.double()]))
        self._sizes.append(batch)

    def due(self, epoch_ends: bool) -> bool:
        return len(self._scores) >= self.window or (epoch_ends and bool(self._scores))

    def exchange(self, wish: Control, metrics: RunningMetrics) -> None:
        """All-reduce the pending batches into ``metrics`` and learn rank 0's ``wish``."""
        head = torch.zeros(2, dtype=torch.float64, device=self._scores[0].device)
        if self.group.main:
            per_batch = (time.perf_counter() - self._since) / len(self._scores)
            window = min(max(int(self.interval / max(per_batch, 1e-9)), 1), self.MAX_WINDOW)
            head[0], head[1] = float(wish), float(window)
        sums = exchange(torch.cat([head, torch.cat(self._scores)]), self.group)
        for i, size in enumerate(self._sizes):
            metrics.add(sums[2 + 2 * i] / size, sums[3 + 2 * i], size)
        control, window = sums[:2].tolist()
        self.control, self.window = Control(int(control)), int(window)
        self._scores, self._sizes = [], []
        self._since = time.perf_counter()

    def ask(self, wish: Control, device: torch.device) -> None:
        """An exchange with no batches (while paused): only learn rank 0's ``wish``."""
        flag = torch.tensor([float(wish) if self.group.main else 0.0], device=device)
        self.control = Control(int(exchange(flag.double(), self.group).item()))
        self._since = time.perf_counter()


def share_buffers(model: nn.Module, group: Group) -> None:
    """Give every process rank 0's buffers (BatchNorm statistics drift apart per process)."""
    if group.parallel:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def exchange(values: torch.Tensor, group: Group) -> torch.Tensor:
    """Sum ``values`` over all processes (in place); one process returns them as they are."""
    if group.parallel:
        dist.all_reduce(values)
    return values


def leave_group(together: bool) -> None:
    """Leave the job; ``together``: wait for every rank first (rank 0 has written its files).

    A rank that failed alone does not wait: the others are still in a collective and would
    never reach the barrier; they fail when this process's connections close.
    """
    if not dist.is_initialized():
        return
    if together:
        dist.barrier()
    dist.destroy_process_group()
