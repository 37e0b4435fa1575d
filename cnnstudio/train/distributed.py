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
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from cnnstudio.train.config import ConfigError

M = TypeVar("M", bound=nn.Module)


class Control(enum.IntEnum):
    """What rank 0 tells every process at the next batch."""

    GO = 0
    PAUSE = 1
    STOP = 2


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
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
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
