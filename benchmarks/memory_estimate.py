"""Will it fit? The estimated peak of one training step against the measured one.

For every example project at a few batch sizes, ``core.memory.estimate_step_memory`` (from the
shape analysis, no tensor made) is compared with the peak of real training steps measured in a
fresh process per probe (``train.memory.probe``: resident set size above the baseline on CPU,
``torch.cuda.max_memory_allocated`` on a GPU). The resident peak of the same step varies by
±15 % between processes (glibc's heap reuse), so each cell is the median of ``--repeats`` probes.
Target: every ratio estimate / median measured within 0.70-1.30.

Run from the repository root: ``python -m benchmarks.memory_estimate [--device cpu]
[--batch-sizes 32 128 256] [--threads 1] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from cnnstudio.core.memory import format_bytes
from cnnstudio.core.project import load_project
from cnnstudio.train.config import training_config
from cnnstudio.train.memory import estimate_for, probe

ROOT = Path(__file__).resolve().parents[1]
LOW, HIGH = 0.70, 1.30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 256])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'example':<18}{'batch':>6}{'estimate':>11}{'measured':>11}{'ratio':>8}")
    worst = 1.0
    for path in sorted((ROOT / "examples").glob("*.cnnstudio")):
        project = load_project(path)
        for batch in args.batch_sizes:
            config = training_config(project.training, batch_size=batch, device=args.device)
            estimate = estimate_for(project, config).total
            results = [
                probe(project, batch, args.device, threads=args.threads)
                for _ in range(args.repeats)
            ]
            failed = [r.reason for r in results if r.peak is None]
            if failed:
                print(f"{path.stem:<18}{batch:>6}  probe failed: {failed[0]}")
                worst = 0.0
                continue
            peak = statistics.median(r.peak for r in results if r.peak is not None)
            ratio = estimate / peak
            if abs(ratio - 1) > abs(worst - 1):
                worst = ratio
            print(
                f"{path.stem:<18}{batch:>6}{format_bytes(estimate):>11}"
                f"{format_bytes(peak):>11}{ratio:>8.2f}",
                flush=True,
            )
    ok = LOW <= worst <= HIGH
    print(f"worst ratio {worst:.2f} (target {LOW:.2f}-{HIGH:.2f}): {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
