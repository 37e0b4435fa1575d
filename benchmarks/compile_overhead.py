"""Does a compiled graph run as fast as the same network written by hand in PyTorch?

``compile_graph`` emits a ``torch.fx.GraphModule`` whose ``forward`` is generated Python calling
the same ``nn`` layers a person would write, so the only possible cost is the GraphModule's call
wrapper. This measures LeNet-5 and the small ResNet from ``examples/`` against hand-written
modules holding identical weights (checked to give identical outputs first):

* training: forward + cross-entropy + backward + SGD step at batch 64;
* inference: forward at batch 1 under ``no_grad`` in eval mode.

Each run alternates short blocks of steps of the two models, so both see the same machine
load; the table shows medians over the runs and ratio = hand-written time / compiled time
(1.0 = same speed; targets: >= 0.98 training, >= 0.97 inference). Times are this process's CPU
time by default (``--clock cpu``): on a shared machine it leaves out the time other processes
hold the core, which wall time (``--clock wall``) does not.

Run from the repository root: ``python -m benchmarks.compile_overhead [--runs 7] [--threads 1]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import load_project
from cnnstudio.torch_backend.compiler import compile_graph

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TARGETS = {"train": 0.98, "infer": 0.97}
TRAIN_BATCH, INFER_BATCH = 64, 1
PAIRS = 20  # alternations of the two models within one run
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


class LeNet5(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(400, 120)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.flatten(self.pool2(self.relu2(self.conv2(x))))
        x = self.relu3(self.fc1(x))
        x = self.relu4(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    """torchvision-style residual block; a strided or widening block gets a 1x1 projection."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.stem_relu = nn.ReLU()
        self.b1 = BasicBlock(16, 16, 1)
        self.b2 = BasicBlock(16, 32, 2)
        self.b3 = BasicBlock(32, 64, 2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_relu(self.stem_bn(self.stem(x)))
        x = self.b3(self.b2(self.b1(x)))
        return self.fc(self.flatten(self.gap(x)))


def resnet_key(name: str) -> str:
    """``block2.proj_bn.weight`` -> ``b2.shortcut.1.weight``, ``block1.conv1.weight`` ->
    ``b1.conv1.weight`` (the example's blocks are instances of its BasicBlock/DownBlock groups)."""
    block, _, rest = name.partition(".")
    if not (block.startswith("block") and block[5:].isdigit()):
        return name
    short = "b" + block[5:]
    for ours, theirs in (("proj_bn.", "shortcut.1."), ("proj.", "shortcut.0.")):
        if rest.startswith(ours):
            return f"{short}.{theirs}{rest[len(ours) :]}"
    return f"{short}.{rest}"


MODELS: dict[str, tuple[str, Callable[[], nn.Module], Callable[[str], str]]] = {
    "LeNet-5": ("lenet5.cnnstudio", LeNet5, lambda k: k),
    "Small ResNet": ("resnet_small.cnnstudio", SmallResNet, resnet_key),
}


def twins(name: str) -> tuple[nn.Module, nn.Module, tuple[int, ...]]:
    """The compiled model and the hand-written one with the same weights, and the input shape."""
    file, make_hand, key = MODELS[name]
    project = load_project(EXAMPLES / file)
    compiled = compile_graph(project.graph, seed=0, name=project.name)
    hand = make_hand()
    hand.load_state_dict({key(k): v for k, v in compiled.state_dict().items()})
    shape = analyze(project.graph).input_shape
    assert shape is not None, file
    x = torch.randn(4, *shape)
    compiled.eval()
    hand.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), hand(x))
    return compiled, hand, shape


def train_step(model: nn.Module, shape: tuple[int, ...]) -> Callable[[], None]:
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(TRAIN_BATCH, *shape)
    y = torch.randint(0, 10, (TRAIN_BATCH,))

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def infer_step(model: nn.Module, shape: tuple[int, ...]) -> Callable[[], None]:
    model.eval()
    x = torch.randn(INFER_BATCH, *shape)

    def step() -> None:
        with torch.no_grad():
            model(x)

    return step


def seconds_per_step(step: Callable[[], None], budget: float) -> float:
    """A rough wall time per step, measured after a warm-up, to size the timed blocks."""
    for _ in range(3):
        step()
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < budget or n < 2:
        step()
        n += 1
    return (time.perf_counter() - start) / n


def time_block(step: Callable[[], None], n: int, clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(n):
        step()
    return clock() - start


class Result(NamedTuple):
    compiled: float  # median seconds per step over the runs
    hand: float
    ratio: float  # median over the runs of hand time / compiled time in the same run
    lowest: float  # the range of those per-run ratios: how noisy the machine was
    highest: float


def compare(
    compiled: Callable[[], None],
    hand: Callable[[], None],
    runs: int,
    seconds: float,
    clock: Callable[[], float],
) -> Result:
    """Times both step functions in ``runs`` runs.

    A run alternates ``PAIRS`` short blocks of each model (swapping which goes first), so a
    change in machine load hits both alike; a run takes about ``seconds`` per model. Ratios are
    taken within a run, where both models saw the same load, then their median across runs.
    """
    per_step = max(seconds_per_step(compiled, seconds / 4), seconds_per_step(hand, seconds / 4))
    n = max(1, round(seconds / PAIRS / per_step))
    totals: dict[str, list[float]] = {"compiled": [], "hand": []}
    for _ in range(runs):
        spent = {"compiled": 0.0, "hand": 0.0}
        order = [("compiled", compiled), ("hand", hand)]
        for i in range(PAIRS):
            for label, step in order if i % 2 == 0 else order[::-1]:
                spent[label] += time_block(step, n, clock)
        for label, total in spent.items():
            totals[label].append(total / (PAIRS * n))
    ratios = [h / c for h, c in zip(totals["hand"], totals["compiled"], strict=True)]
    return Result(
        statistics.median(totals["compiled"]),
        statistics.median(totals["hand"]),
        statistics.median(ratios),
        min(ratios),
        max(ratios),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (>= 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--seconds", type=float, default=0.6, help="seconds per model and run")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="what to time (see above)")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    clock = CLOCKS[args.clock]
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), {args.clock} time, "
        f"median of {args.runs} runs"
    )
    header = (
        f"{'model':<13}  {'case':<17}  {'compiled':>10}  {'hand':>10}  {'ratio':>6}  "
        f"{'runs range':<11}  target"
    )
    print(header)
    print("-" * len(header))
    ok = True
    cases = {
        "train": (f"train batch {TRAIN_BATCH}", train_step),
        "infer": (f"infer batch {INFER_BATCH}", infer_step),
    }
    for name in MODELS:
        for case, (label, make_step) in cases.items():
            compiled, hand, shape = twins(name)  # fresh twins: training changes the weights
            r = compare(
                make_step(compiled, shape), make_step(hand, shape), args.runs, args.seconds, clock
            )
            met = r.ratio >= TARGETS[case]
            ok &= met
            print(
                f"{name:<13}  {label:<17}  {r.compiled * 1e3:>8.3f}ms  {r.hand * 1e3:>8.3f}ms  "
                f"{r.ratio:>6.3f}  {r.lowest:.3f}-{r.highest:.3f}  "
                f">= {TARGETS[case]:.2f} {'met' if met else 'MISSED'}"
            )
    print(
        "ratio: median over runs of hand-written time / compiled time within a run "
        "(above 1: the compiled model is faster); runs range: lowest-highest of those ratios"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
