"""Device, precision and thread resolution, and the learning-rate schedules."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from cnnstudio.train import hardware
from cnnstudio.train.config import ConfigError, training_config
from cnnstudio.train.device import resolve_device, resolve_precision
from cnnstudio.train.hardware import resolve_threads
from cnnstudio.train.loop_core import batches_per_epoch
from cnnstudio.train.optim import LrSchedule, build_optimizer


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "gpu_driver_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_without_a_gpu_driver_torch_is_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "gpu_driver_present", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert hardware.available_devices() == ["cpu"]
    assert resolve_device("auto") == torch.device("cpu")


def test_absent_device_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "gpu_driver_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ConfigError) as caught:
        resolve_device("cuda")
    assert str(caught.value) == (
        "training.device: 'cuda' is not available on this machine (available: cpu)"
    )


def test_amp_is_off_on_cpu_and_fp16_needs_cuda() -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu).dtype is None
    assert resolve_precision("off", cpu).name == "off"
    assert resolve_precision("bf16", cpu).dtype == torch.bfloat16
    with pytest.raises(ConfigError, match=r"^training\.amp: 'fp16' needs a CUDA device"):
        resolve_precision("fp16", cpu)


@pytest.mark.parametrize("bf16", [True, False])
def test_amp_auto_on_cuda_picks_bf16_or_fp16_with_scaler(
    monkeypatch: pytest.MonkeyPatch, bf16: bool
) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    precision = resolve_precision("auto", torch.device("cuda"))
    assert precision.name == ("bf16" if bf16 else "fp16")
    assert precision.grad_scaler is not bf16


def test_available_ram_is_the_systems_available_figure() -> None:
    """Linux's MemAvailable here (psutil reads each platform's own figure)."""
    with open("/proc/meminfo") as f:
        meminfo = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
    available = hardware.available_bytes("cpu")
    assert 0 < available <= meminfo["MemTotal"]
    assert abs(available - meminfo["MemAvailable"]) < 0.1 * meminfo["MemTotal"]


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 2), (3, 3), (16, 16)])
def test_auto_threads_are_every_core(
    monkeypatch: pytest.MonkeyPatch, cores: int, threads: int
) -> None:
    monkeypatch.setattr(
        hardware.os, "sched_getaffinity", lambda _: set(range(cores)), raising=False
    )
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: cores)
    assert resolve_threads("auto") == threads
    assert resolve_threads(3) == 3


@pytest.mark.parametrize(("cores", "processes", "threads"), [(2, 2, 1), (1, 2, 1), (16, 4, 4)])
def test_auto_threads_share_the_cores_among_torchrun_processes(
    monkeypatch: pytest.MonkeyPatch, cores: int, processes: int, threads: int
) -> None:
    monkeypatch.setattr(
        hardware.os, "sched_getaffinity", lambda _: set(range(cores)), raising=False
    )
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: cores)
    assert resolve_threads("auto", processes) == threads
    assert resolve_threads(3, processes) == 3


@pytest.mark.parametrize(
    ("samples", "batch", "processes", "steps"),
    [
        (500, 50, 1, 10),  # no remainder
        (501, 50, 1, 10),  # a lone last sample is skipped (BatchNorm rejects it)
        (502, 50, 1, 11),
        (1, 50, 1, 1),  # but a lone sample that is the whole split is kept
        (502, 50, 3, 10),  # 2 samples cannot give 3 processes one each
        (503, 50, 3, 11),
        (2, 50, 3, 0),
    ],
)
def test_steps_per_epoch_skip_a_last_batch_too_small_to_share(
    samples: int, batch: int, processes: int, steps: int
) -> None:
    assert batches_per_epoch(samples, batch, processes) == steps


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sgd", torch.optim.SGD),
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("rmsprop", torch.optim.RMSprop),
    ],
)
def test_optimizers(name: str, cls: type) -> None:
    params = [torch.nn.Parameter(torch.zeros(3))]
    config = training_config({"optimizer": name, "lr": 0.1, "weight_decay": 0.01})
    optimizer = build_optimizer(config, params)
    assert type(optimizer) is cls
    assert optimizer.param_groups[0]["weight_decay"] == 0.01


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_float_parameters_get_the_fused_step(name: str) -> None:
    config = training_config({"optimizer": name})
    weights = torch.nn.Parameter(torch.ones(4))
    optimizer = build_optimizer(config, [weights])
    assert optimizer.defaults["fused"] is True
    weights.grad = torch.ones(4)
    optimizer.step()
    assert bool((weights < 1).all())


def test_rmsprop_and_integer_parameters_keep_torchs_default_step() -> None:
    rmsprop = training_config({"optimizer": "rmsprop"})
    assert not build_optimizer(rmsprop, [torch.nn.Parameter(torch.ones(1))]).defaults.get("fused")
    adam = training_config({"optimizer": "adam"})
    doubles = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    assert build_optimizer(adam, [doubles]).defaults["fused"] is True
    steps = torch.nn.Parameter(torch.zeros(2, dtype=torch.int64), requires_grad=False)
    assert build_optimizer(adam, [steps]).defaults["fused"] is None


def test_sgd_gets_momentum_and_nesterov() -> None:
    config = training_config({"optimizer": "sgd", "nesterov": True})
    group = build_optimizer(config, [torch.nn.Parameter(torch.zeros(1))]).param_groups[0]
    assert (group["momentum"], group["nesterov"]) == (0.9, True)


def _rates(section: dict[str, object], steps_per_epoch: int = 10) -> list[float]:
    config = training_config({"lr": 1.0, **section})
    schedule = LrSchedule(config, steps_per_epoch)
    return [schedule.lr(i) for i in range(config.epochs * steps_per_epoch)]


def test_constant_rate_without_scheduler() -> None:
    assert set(_rates({"epochs": 2})) == {1.0}


def test_linear_warmup_then_constant() -> None:
    rates = _rates({"epochs": 3, "warmup_epochs": 1})
    assert rates[:10] == pytest.approx([(i + 1) / 11 for i in range(10)])
    assert set(rates[10:]) == {1.0}


def test_step_decay_per_epoch() -> None:
    rates = _rates({"epochs": 5, "scheduler": "step", "step_size": 2, "gamma": 0.5})
    assert [rates[e * 10] for e in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_cosine_falls_from_lr_to_zero() -> None:
    rates = _rates({"epochs": 4, "scheduler": "cosine"})
    assert rates[0] == 1.0
    assert rates[-1] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in itertools.pairwise(rates))
    assert rates[len(rates) // 2] == pytest.approx(0.5, abs=0.03)


def test_one_cycle_rises_to_lr_then_anneals() -> None:
    rates = _rates({"epochs": 10, "scheduler": "one-cycle"})
    peak = max(range(len(rates)), key=rates.__getitem__)
    assert rates[0] == pytest.approx(1 / 25)
    assert rates[peak] == pytest.approx(1.0, abs=1e-3)
    assert abs(peak - 0.3 * len(rates)) <= 1
    assert rates[-1] == pytest.approx(1e-4)


def test_schedule_applies_to_every_param_group() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = LrSchedule(training_config({"lr": 0.2, "scheduler": "cosine", "epochs": 2}), 5)
    lr = schedule.apply(optimizer, 5)
    assert (
        optimizer.param_groups[0]["lr"]
        == lr
        == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi * 5 / 9)))
    )
