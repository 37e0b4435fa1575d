"""Does a long run leak? Resident memory over 50 short epochs with feature capture on.

A run of many epochs must not grow: per-batch values are folded into sums, reports carry copies
the receiver owns, and checkpoints are rewritten in place. Each run trains LeNet-5 on 600
built-in shapes for 50 epochs, capturing every node's activations every 5 batches and keeping
only the latest capture (as the editor does), and samples the process's resident set size
(RSS) at the end of every epoch. Growth = (RSS after the last epoch - RSS after the first) /
RSS after the first (target <= 5 %); epoch 1 absorbs one-off allocations (allocator pools,
lazy imports).

Every run is a fresh process, so one run's memory cannot hide another's; the table shows the
median over the runs.

Run from the repository root: ``python -m benchmarks.train_memory [--runs 5] [--epochs 50]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET = 0.05
ROOT = Path(__file__).resolve().parents[1]


def rss_bytes() -> int:
    """Current resident set size (Linux); elsewhere the peak, which can only over-report growth."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def one_run(epochs: int, run_dir: Path) -> list[int]:
    """Train in this process; returns RSS after each epoch."""
    from cnnstudio.core.project import load_project
    from cnnstudio.train.callbacks import BatchProgress, EpochMetrics, Features
    from cnnstudio.train.capture import CaptureSettings
    from cnnstudio.train.trainer import train

    class Latest:
        def __init__(self) -> None:
            self.features: Features | None = None
            self.rss: list[int] = []
            self.batches = 0

        def on_batches(self, progress: BatchProgress) -> None:
            self.batches += len(progress.losses)

        def on_features(self, features: Features) -> None:
            self.features = features

        def on_epoch(self, metrics: EpochMetrics) -> None:
            self.rss.append(rss_bytes())

    project = load_project(ROOT / "examples" / "lenet5.cnnstudio")
    project.dataset = {"source": "shapes", "num_samples": 600}
    latest = Latest()
    result = train(
        project,
        latest,
        run_dir=run_dir,
        epochs=epochs,
        batch_size=32,
        threads=1,
        capture=CaptureSettings(every=5),
    )
    if result.status != "completed":
        raise SystemExit(f"training failed: {result.failure}")
    return latest.rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(one_run(args.epochs, Path(tmp))))
        return 0
    growths, firsts, lasts = [], [], []
    for run in range(args.runs):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.train_memory",
                "--child",
                "--epochs",
                str(args.epochs),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        rss = json.loads(out.stdout)
        growth = (rss[-1] - rss[0]) / rss[0]
        growths.append(growth)
        firsts.append(rss[0])
        lasts.append(rss[-1])
        print(
            f"  run {run + 1}: {rss[0] / 2**20:.1f} MiB after epoch 1, {max(rss) / 2**20:.1f} peak, "
            f"{rss[-1] / 2**20:.1f} after epoch {len(rss)}: {growth:+.2%}",
            file=sys.stderr,
        )
    growth = statistics.median(growths)
    print(f"{args.epochs} epochs, {args.runs} runs (median)")
    last = f"RSS after epoch {args.epochs}:"
    print(f"{'RSS after epoch 1:':<30}{statistics.median(firsts) / 2**20:8.1f} MiB")
    print(f"{last:<30}{statistics.median(lasts) / 2**20:8.1f} MiB")
    print(f"growth after the first epoch: {growth:+.2%} (target <= {TARGET:.0%})")
    return 0 if growth <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
