"""How long does an attribution of one sample take? The dashboard asks for one per click.

Compiles the built-in LeNet-5 (seeded weights: the time does not depend on them) and prints the
median time of each method (Grad-CAM on the last convolution, saliency, integrated gradients
with ``IG_STEPS`` steps) over several runs, after one warm-up call. Target: at most 100 ms each.

Run: ``python benchmarks/attribution.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.attribution import IG_STEPS, METHODS, Attributor
from cnnstudio.train.loss import output_kind

RUNS = 21
TARGET_MS = 100.0
LENET = Path(__file__).parents[1] / "examples" / "lenet5.cnnstudio"


def main() -> int:
    torch.set_num_threads(1)  # as the training process's probe on a loaded machine
    project = load_project(LENET)
    analysis = analyze(project.graph)
    assert analysis.output_id is not None
    assert analysis.input_shape is not None
    model = compile_graph(project.graph, analysis=analysis)
    attributor = Attributor(model, output_kind(project.graph, analysis.output_id))
    sample = torch.randn(*analysis.input_shape, generator=torch.Generator().manual_seed(0))
    worst = 0.0
    for method, label in METHODS.items():
        attributor.attribute(sample, method)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            attributor.attribute(sample, method)
            times.append(1000 * (time.perf_counter() - start))
        median = statistics.median(times)
        worst = max(worst, median)
        steps = f" ({IG_STEPS} steps)" if method == "integrated_gradients" else ""
        print(f"{label + steps:<34} median {median:7.2f} ms  (min {min(times):.2f} ms)")
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"slowest median {worst:.2f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
