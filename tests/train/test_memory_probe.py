"""Measured memory: probes in their own processes, the largest batch, the estimate's accuracy."""

from __future__ import annotations

import pytest

from cnnstudio.core.project import Project
from cnnstudio.train import memory
from cnnstudio.train.config import training_config
from cnnstudio.train.memory import Probe, estimate_for, find_largest_batch, probe

MB = 1_000_000


def test_a_probe_over_its_heap_limit_reports_out_of_memory(lenet: Project) -> None:
    result = probe(lenet, 4096, threads=1, limit_bytes=40 * MB)
    assert result.peak is None
    assert result.reason.startswith("out of memory")


def test_a_probe_over_its_time_bound_does_not_fit(lenet: Project) -> None:
    result = probe(lenet, 32, threads=1, limit_s=0.2)
    assert result == Probe(32, None, "took longer than 0.2 s")


@pytest.mark.slow
def test_the_largest_batch_is_bounded_by_the_heap_limit(lenet: Project) -> None:
    seen: list[Probe] = []
    largest = find_largest_batch(
        lenet, start=64, available=10**12, threads=1, limit_bytes=200 * MB, progress=seen.append
    )
    fits = {p.batch_size for p in seen if not p.reason}
    misses = {p.batch_size for p in seen if p.reason}
    assert largest in fits
    assert misses
    assert min(misses) > largest
    assert min(misses) - largest <= max(1, largest // 16)  # bisected down to 1/16 of the batch
    assert seen[0].batch_size == 64


def test_the_largest_batch_leaves_ten_percent_of_the_available_memory(
    lenet: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured peaks vary by +-15 % between runs here, so the rule is checked on fixed ones:
    a batch of n samples peaks at n MB."""
    monkeypatch.setattr(memory, "probe", lambda project, batch, *a, **k: Probe(batch, batch * MB))
    room = 64 * MB
    assert find_largest_batch(lenet, start=32, max_batch=64, available=int(room * 1.1)) == 64
    below = find_largest_batch(lenet, start=32, max_batch=64, available=int(room * 1.05))
    assert 32 <= below < 64
    assert below * MB * 1.1 <= room * 1.05 < 64 * MB * 1.1  # 10 % stays free; 64 would not


@pytest.mark.slow
@pytest.mark.parametrize("batch", [256, 512])  # larger peaks: RSS noise of a few MB matters less
def test_the_estimate_is_within_30_percent_of_the_measured_peak(lenet: Project, batch: int) -> None:
    measured = probe(lenet, batch, threads=1)
    assert measured.peak is not None, measured.reason
    config = training_config(lenet.training, batch_size=batch, device="cpu")
    estimate = estimate_for(lenet, config).total
    assert 0.7 <= estimate / measured.peak <= 1.3, (estimate, measured.peak)
