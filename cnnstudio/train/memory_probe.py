"""The Will-it-fit probe process: ``PROBE_STEPS`` real training steps, the peak memory out.

``memory.probe`` starts ``python -m cnnstudio.train.memory_probe`` with the project as JSON on
stdin. The peak is the process's resident set size above what it held before the model was built
(Linux: the ``VmHWM`` high-water mark, reset just before; elsewhere ``ru_maxrss``), or
``torch.cuda.max_memory_allocated`` on a GPU.
"""

from __future__ import annotations

import contextlib
import json
import sys

import torch

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.config import training_config
from cnnstudio.train.device import resolve_device, resolve_precision
from cnnstudio.train.loss import cross_entropy, output_kind
from cnnstudio.train.optim import build_optimizer
from cnnstudio.train.warm import warm_up

PROBE_STEPS = 3  # the first step allocates the optimizer state; the later ones show the steady peak


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
    import resource  # POSIX only: Windows has no resource module

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
    warm_up(dev, config)
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


def _probe_main() -> int:
    """The probe process: a project and a batch size in (JSON on stdin), the peak out."""
    from cnnstudio.train.faults import is_oom  # imported before the heap is capped

    request = json.loads(sys.stdin.read())
    if request.get("threads"):
        torch.set_num_threads(int(request["threads"]))
    project = Project.from_dict(request["project"])
    batch_size, device = int(request["batch_size"]), request["device"]
    limit = request.get("limit_bytes")
    if limit:  # a ceiling on the heap above what the process holds now: beyond, MemoryError
        import resource  # POSIX only (the cap is for tests, which run on Linux)

        # What the first steps import (an optimizer: torch._dynamo, tens of MB) is not capped.
        config = training_config(project.training, batch_size=batch_size, device=device)
        warm_up(resolve_device(config.device), config)
        ceiling = (_rss_status("VmData") or 0) + int(limit)
        resource.setrlimit(resource.RLIMIT_DATA, (ceiling, ceiling))
    try:
        peak = measure_step_peak(project, batch_size, device)
    except Exception as exc:
        if not is_oom(exc):
            raise
        print(json.dumps({"error": f"out of memory: {exc or type(exc).__name__}"}), flush=True)
        return 3
    print(json.dumps({"peak": peak}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_probe_main())
