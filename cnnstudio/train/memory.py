"""Will it fit, measured: real training steps in a fresh process, and the largest batch that fits.

``core/memory.py`` estimates a step's peak from the analysis; this module measures it. Each probe
runs in its own process (``python -m cnnstudio.train.memory_probe``, the project as JSON on stdin),
so a MemoryError, an out-of-memory kill or a probe that outlasts its time bound costs the caller
nothing but the answer "does not fit". This side imports no torch: the editor's Settings tab
shows the estimate and runs the search from here.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.memory import HEADROOM, MemoryEstimate, estimate_step_memory, format_bytes
from cnnstudio.core.project import Project
from cnnstudio.train.config import TrainingConfig, training_config
from cnnstudio.train.hardware import amp_dtype_name, available_bytes, resolve_device_name

if TYPE_CHECKING:
    import torch

PROBE_LIMIT_S = 60.0
_POLL_S = 0.05


def estimate_for(
    project: Project,
    config: TrainingConfig | None = None,
    device: str | torch.device | None = None,
    analysis: Analysis | None = None,
) -> MemoryEstimate:
    """The core estimate for the project's graph and training settings."""
    config = config or training_config(project.training)
    device = device or resolve_device_name(config.device)
    return estimate_step_memory(
        project.graph,
        analysis or analyze(project.graph),
        config.batch_size,
        config.optimizer,
        momentum=config.momentum,
        amp=amp_dtype_name(config.amp, str(device).split(":")[0]) is not None,
    )


def out_of_memory_message(
    project: Project, config: TrainingConfig, device: str | torch.device
) -> str:
    """What a run that ran out of memory tells the user: the estimate, the room, a batch to try."""
    batch = config.batch_size
    try:
        estimate = estimate_for(project, config, device)
        room = available_bytes(device)
    except Exception:  # the message must not fail; say what is known
        return f"out of memory at batch size {batch} on {device}" + _try(batch // 2)
    sizes = f" (estimated {format_bytes(estimate.total)}, {format_bytes(room)} available)"
    suggestion = min(estimate.largest_batch(room), batch // 2)
    return f"out of memory at batch size {batch} on {device}{sizes}" + _try(suggestion)


def _try(batch: int) -> str:
    if batch < 1:
        return " — even a batch of 1 does not fit; use a smaller network or another device"
    return f" — try batch size {batch} or use Find largest batch (Settings tab)"


# ---- probing, from the caller --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Probe:
    """One probe's outcome: ``peak`` bytes when the steps ran, else why not."""

    batch_size: int
    peak: int | None
    reason: str = ""


class ProbeCancelled(Exception):
    """``cancel()`` turned true while a probe ran; the probe process is gone."""


def probe(
    project: Project,
    batch_size: int,
    device: str = "cpu",
    *,
    limit_s: float = PROBE_LIMIT_S,
    threads: int | None = None,
    limit_bytes: int | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Probe:
    """Measure ``batch_size`` in a fresh process bounded by ``limit_s`` (then killed).

    ``limit_bytes`` caps how much more the probe's heap may grow (RLIMIT_DATA), for a
    deterministic out-of-memory.
    """
    request: dict[str, Any] = {
        "project": project.to_dict(),
        "batch_size": batch_size,
        "device": device,
        "threads": threads,
        "limit_bytes": limit_bytes,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnnstudio.train.memory_probe"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + limit_s
    payload: str | None = json.dumps(request)
    while True:
        try:
            out, err = proc.communicate(payload, timeout=_POLL_S)
            break
        except subprocess.TimeoutExpired:
            payload = None  # already sent
            if cancel is not None and cancel():
                _kill(proc)
                raise ProbeCancelled from None
            if time.monotonic() > deadline:
                _kill(proc)
                return Probe(batch_size, None, f"took longer than {limit_s:g} s")
    if proc.returncode < 0:
        return Probe(batch_size, None, f"killed by signal {-proc.returncode}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    if "peak" in result:
        return Probe(batch_size, int(result["peak"]))
    reason = result.get("error") or (err.strip().splitlines() or ["no answer"])[-1]
    return Probe(batch_size, None, reason)


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.communicate()


def find_largest_batch(
    project: Project,
    device: str = "cpu",
    *,
    start: int = 16,
    max_batch: int = 65536,
    available: int | None = None,
    limit_s: float = PROBE_LIMIT_S,
    threads: int | None = None,
    limit_bytes: int | None = None,
    progress: Callable[[Probe], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """The largest batch whose measured peak, plus 10 %, fits ``available`` bytes (default: what
    ``device`` has free now); 0 when not even a batch of 1 does.

    Doubles from ``start`` while probes fit, then bisects between the last fit and the first
    miss down to a step of 1/16 of the batch. Raises ProbeCancelled when ``cancel()`` turns true.
    """
    room = available if available is not None else available_bytes(resolve_device_name(device))

    def fits(batch: int) -> bool:
        result = probe(
            project,
            batch,
            device,
            limit_s=limit_s,
            threads=threads,
            limit_bytes=limit_bytes,
            cancel=cancel,
        )
        if result.peak is not None and result.peak * (1 + HEADROOM) > room:
            result = Probe(batch, result.peak, "does not leave 10 % free")
        if progress is not None:
            progress(result)
        return not result.reason

    lo, hi = 0, None  # largest known fit, smallest known miss
    batch = max(1, min(start, max_batch))
    while hi is None:
        if fits(batch):
            lo = batch
            if batch >= max_batch:
                return lo
            batch = min(batch * 2, max_batch)
        else:
            hi = batch
            if lo == 0 and batch > 1:  # the start is too big: halve down to a fit
                while lo == 0 and batch > 1:
                    batch //= 2
                    if fits(batch):
                        lo = batch
                    else:
                        hi = batch
    while hi - lo > max(1, lo // 16):
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo
