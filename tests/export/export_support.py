"""Helpers for the export tests: cached exports of the examples, a subprocess runner.

Exported files are run where cnnstudio cannot be imported: outside the repository, with
``python -I`` (no PYTHONPATH, no script folder on sys.path), through ``HIDE_CNNSTUDIO``, which
makes every ``import cnnstudio`` fail even where cnnstudio is installed.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
import torch.fx as fx

from cnnstudio.core.project import Project, load_project
from cnnstudio.export import ExportResult, export_project
from cnnstudio.torch_backend.compiler import compile_graph

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.cnnstudio"))
FILE_NAMES = {
    "python": "model.py",
    "script": "train.py",
    "onnx": "model.onnx",
    "torchscript": "model.pt",
    "pt2": "model.pt2",
}
HIDE_CNNSTUDIO = '''\
"""Run scripts as __main__, one after the other, where every import of cnnstudio fails.

Arguments: SCRIPT ARGS... [-- SCRIPT ARGS...]; one interpreter pays torch's import once.
The exit code is the first non-zero one of the scripts.
"""
import runpy
import sys

sys.modules["cnnstudio"] = None
jobs, job = [], []
for arg in sys.argv[1:] + ["--"]:
    if arg == "--":
        jobs.append(job)
        job = []
    else:
        job.append(arg)
codes = []
for script, *args in jobs:
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
        codes.append(0)
    except SystemExit as end:
        codes.append(end.code or 0)
sys.exit(next((c for c in codes if c), 0))
'''
SUBPROCESS_TIMEOUT_S = 300


@dataclasses.dataclass
class Exported:
    """One example exported to one format, with the compiled model it must agree with."""

    project: Project
    model: fx.GraphModule
    path: Path
    result: ExportResult
    messages: list[str]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.project.graph.node(_input_id(self.project)).params["shape"])


class ExportCache:
    """Exports each (example, format) on first use; later tests reuse the files."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._done: dict[tuple[str, str], Exported] = {}

    def get(self, example: Path, fmt: str) -> Exported:
        key = (example.stem, fmt)
        if key not in self._done:
            project = load_project(example)
            folder = self.base / example.stem / fmt
            folder.mkdir(parents=True)
            messages: list[str] = []
            result = export_project(
                project, fmt, folder / FILE_NAMES[fmt], progress=messages.append
            )
            model = compile_graph(project.graph, seed=0, name=project.name).eval()
            self._done[key] = Exported(project, model, folder / FILE_NAMES[fmt], result, messages)
        return self._done[key]


def run(
    args: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; on timeout its whole process group is killed (torchrun)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment.update(env or {})
    with subprocess.Popen(
        [str(a) for a in args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            pytest.fail(f"{args} did not finish in {SUBPROCESS_TIMEOUT_S} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def python(*args: str | Path) -> list[str | Path]:
    """``python -I ...``: no PYTHONPATH, no user site, no script folder on sys.path."""
    return [sys.executable, "-I", *args]


def sample_input(shape: Sequence[int], batch: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, *shape, generator=torch.Generator().manual_seed(seed))


def _input_id(project: Project) -> str:
    return next(n.id for n in project.graph if n.type == "Input")
