"""Will it fit, measured: real training steps in a fresh process, and the largest batch that fits.

``core/memory.py`` estimates a step's peak from the analysis; this module measures it. Each probe
runs in its own process (``python -m cnnstudio.train.memory``, the project as JSON on stdin), so a
MemoryError, an out-of-memory kill or a probe that outlasts its time bound costs the caller
nothing but the answer "does not fit". The peak is the process's resident set size above what it
held before the model was built (Linux: the ``VmHWM`` high-water mark, reset just before; elsewhere
``ru_maxrss``), or ``torch.cuda.max_memory_allocated`` on a GPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.memory import HEADROOM, MemoryEstimate, estimate_step_memory, format_bytes
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.config import TrainingConfig, training_config
from cnnstudio.train.device import resolve_device, resolve_precision
from cnnstudio.train.loss import cross_entropy, output_kind
from cnnstudio.train.optim import build_optimizer

PROBE_STEPS = 3  # the first step allocates the optimizer state; the later ones show the steady peak
PROBE_LIMIT_S = 60.0
_POLL_S = 0.05


def estimate_for(
    project: Project,
    config: TrainingConfig | None = None,
    device: torch.device | None = None,
    analysis: Analysis | None = None,
) -> MemoryEstimate:
    """The core estimate for the project's graph and training settings."""
    config = config or training_config(project.training)
    device = device or resolve_device(config.device)
    return estimate_step_memory(
        project.graph,
        analysis or analyze(project.graph),
        config.batch_size,
        config.optimizer,
        momentum=config.momentum,
        amp=resolve_precision(config.amp, device).dtype is not None,
    )


def out_of_memory_message(project: Project, config: TrainingConfig, device: torch.device) -> str:
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


def available_bytes(device: str | torch.device = "cpu") -> int:
    """Memory a run on ``device`` may still take: the GPU's free memory, or RAM available."""
    dev = torch.device(device)
    if dev.type == "cuda":
        free, _total = torch.cuda.mem_get_info(dev)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


# ---- measuring, inside the probe process ---------------------------------------------------


def _rss_status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Linux resets VmHWM to the current RSS on writing 5 to clear_refs (since 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _max_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure_step_peak(project: Project, batch_size: int, device: str = "cpu") -> int:
    """Bytes above the baseline at the peak of ``PROBE_STEPS`` real steps on random data.

    Call in a fresh process (see ``probe``): the resident set of a process that has already
    trained is no baseline.
    """
    config = training_config(project.training, batch_size=batch_size, device=device)
    dev = resolve_device(config.device)
    precision = resolve_precision(config.amp, dev)
    analysis = analyze(project.graph)
    if analysis.input_shape is None or analysis.output_shape is None or not analysis.valid:
        raise ValueError("the network is not valid; fix its issues before measuring")
    _warm_up(dev, config)
    loss_fn = cross_entropy(
        output_kind(project.graph, str(analysis.output_id)), config.label_smoothing
    )
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        baseline = torch.cuda.memory_allocated(dev)
    else:
        baseline = _rss_status("VmRSS") or _max_rss()
        exact = _reset_peak()
    model = compile_graph(project.graph, seed=0, analysis=analysis).to(dev)
    optimizer = build_optimizer(config, model.parameters())
    scaler = torch.amp.GradScaler(dev.type) if precision.grad_scaler else None
    classes = analysis.output_shape[0]
    model.train()
    for _ in range(PROBE_STEPS):
        x = torch.randn(batch_size, *analysis.input_shape, device=dev)
        y = torch.randint(classes, (batch_size,), device=dev)
        autocast = (
            torch.autocast(dev.type, dtype=precision.dtype)
            if precision.dtype is not None
            else contextlib.nullcontext()
        )
        with autocast:
            loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)  # after the forward, as the trainer does
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        return int(torch.cuda.max_memory_allocated(dev)) - baseline
    peak = _rss_status("VmHWM") if exact else None
    return (peak or _max_rss()) - baseline


def _warm_up(dev: torch.device, config: TrainingConfig) -> None:
    """One tiny step, so thread pools, kernel libraries and the modules an optimizer imports on
    first use (tens of MB) are not counted in the peak."""
    f = torch.nn.functional
    x = torch.randn(2, 3, 8, 8, device=dev, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, device=dev, requires_grad=True)
    v = torch.randn(10, 144, device=dev, requires_grad=True)
    f.linear(f.max_pool2d(f.conv2d(x, w).relu(), 1).flatten(1), v).sum().backward()
    build_optimizer(config, [torch.nn.Parameter(w.detach())]).step()


def _probe_main() -> int:
    """The probe process: a project and a batch size in (JSON on stdin), the peak out."""
    from cnnstudio.train.faults import is_oom  # imported before the heap is capped

    request = json.loads(sys.stdin.read())
    if request.get("threads"):
        torch.set_num_threads(int(request["threads"]))
    limit = request.get("limit_bytes")
    if limit:  # a ceiling on the heap above what the process holds now: beyond, MemoryError
        ceiling = (_rss_status("VmData") or 0) + int(limit)
        resource.setrlimit(resource.RLIMIT_DATA, (ceiling, ceiling))
    project = Project.from_dict(request["project"])
    try:
        peak = measure_step_peak(project, int(request["batch_size"]), request["device"])
    except Exception as exc:
        if not is_oom(exc):
            raise
        print(json.dumps({"error": f"out of memory: {exc or type(exc).__name__}"}), flush=True)
        return 3
    print(json.dumps({"peak": peak}), flush=True)
    return 0


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
        [sys.executable, "-m", "cnnstudio.train.memory"],
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
    room = available if available is not None else available_bytes(resolve_device(device))

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


if __name__ == "__main__":
    sys.exit(_probe_main())
