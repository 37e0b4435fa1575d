"""The ``script`` format run as ``python train.py``: every example trains where cnnstudio is
hidden, a resumed run continues exactly, other datasets go through cnnstudio's loaders, and
one process trains exactly like the app's own trainer."""

from __future__ import annotations

import ast
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from export_support import EXAMPLES, ROOT, ExportCache, python, run

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project
from cnnstudio.export import ExportError, export_project
from cnnstudio.export.ddp_train import read_safetensors, write_safetensors
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train import loop_core
from cnnstudio.train.trainer import Trainer

LENET = next(p for p in EXAMPLES if p.stem == "lenet5")
QUICK = ("--epochs", "1", "--num-samples", "30", "--batch-size", "10")


@pytest.mark.slow
def test_every_example_trains_without_cnnstudio(
    exports: ExportCache, hide_cnnstudio: Path, tmp_path: Path
) -> None:
    scripts = [exports.get(example, "script").path for example in EXAMPLES]
    jobs: list[str | Path] = []
    for script in scripts:
        jobs += ["--", script, *QUICK, "--out", script.parent / "run"]
    done = run(python(hide_cnnstudio, *jobs[1:]), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("epoch 1/1") == len(scripts)
    for example, script in zip(EXAMPLES, scripts, strict=True):
        out = script.parent / "run"
        assert f"starting from {script.with_suffix('.safetensors')}" in done.stdout
        (row,) = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        assert row["epoch"] == 1
        assert all(math.isfinite(row[k]) for k in ("train_loss", "val_loss", "val_accuracy"))
        trained = safetensors.torch.load_file(str(out / "model.safetensors"))
        compile_graph(exports.get(example, "script").project.graph).load_state_dict(
            trained, strict=True
        )
        initial = safetensors.torch.load_file(str(script.with_suffix(".safetensors")))
        assert any(not torch.equal(trained[k], initial[k]) for k in initial), example.stem


def test_script_is_readable_and_self_contained(exports: ExportCache) -> None:
    code = exports.get(LENET, "script").path.read_text()
    tree = ast.parse(code)
    doc = ast.get_docstring(tree) or ""
    assert "torchrun --standalone --nproc_per_node=4 train.py" in doc
    assert "srun torchrun" in doc
    top = {
        n.id
        for s in tree.body
        if isinstance(s, ast.Assign)
        for n in s.targets
        if isinstance(n, ast.Name)
    }
    assert {"INPUT_SHAPE", "TRAINING", "DATASET", "OUTPUT_KIND"} <= top
    imported = {
        a.name.split(".")[0] for s in tree.body if isinstance(s, ast.Import) for a in s.names
    }
    imported |= {
        s.module.split(".")[0] for s in tree.body if isinstance(s, ast.ImportFrom) and s.module
    }
    assert imported - {"__future__"} <= {"numpy", "torch", *sys.stdlib_module_names}
    functions = {s.name for s in tree.body if isinstance(s, ast.FunctionDef | ast.ClassDef)}
    assert {"generate_shapes", "split_indices", "LrSchedule", "main", "LeNet5"} <= functions
    assert "load_shapes" not in functions  # only what the script uses is copied
    assert "DistributedDataParallel(" in code
    assert "convert_sync_batchnorm" in code
    assert "destroy_process_group" in code


@pytest.mark.slow
def test_one_process_trains_like_the_app_and_resumes_exactly(
    tmp_path: Path, hide_cnnstudio: Path
) -> None:
    """Same initial weights, data, split, shuffle, optimizer and schedule as cnnstudio's trainer:
    two app epochs equal one script epoch plus one resumed from its checkpoint."""
    path = tmp_path / "lenet.cnnstudio"
    shutil.copy(LENET, path)
    project = load_project(path)
    project.dataset = {"source": "shapes", "num_samples": 70, "seed": 3}
    project.training = {"optimizer": "sgd", "lr": 0.05, "batch_size": 16, "epochs": 2, "seed": 4}
    project.save()
    result = Trainer(project, run_dir=tmp_path / "runs", device="cpu").run()
    assert result.status == "completed", result.failure
    assert result.run_dir is not None
    script = tmp_path / "train.py"
    export_project(project, "script", script)
    common = ("--device", "cpu", "--out", "script")
    done = run(
        python(hide_cnnstudio, script, *common, "--epochs", "1", "--", script, *common, "--resume"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 2/2" in done.stdout
    app = safetensors.torch.load_file(str(result.run_dir / "last.safetensors"))
    ours = safetensors.torch.load_file(str(tmp_path / "script" / "model.safetensors"))
    assert max((app[k] - ours[k]).abs().max().item() for k in app) <= 1e-6
    app_rows = [json.loads(r) for r in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    rows = [json.loads(r) for r in (tmp_path / "script" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for a, r in zip(app_rows, rows, strict=True):
        assert r["val_accuracy"] == pytest.approx(a["val_accuracy"])
        assert r["train_loss"] == pytest.approx(a["train_loss"], rel=1e-5)


@pytest.mark.slow
def test_other_datasets_use_cnnstudio_and_say_so_when_it_is_missing(
    tmp_path: Path, hide_cnnstudio: Path
) -> None:
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "digits.npz",
        x=rng.integers(0, 255, (40, 1, 28, 28), dtype=np.uint8),
        y=np.arange(40) % 10,
    )
    path = tmp_path / "lenet.cnnstudio"
    shutil.copy(LENET, path)
    project = load_project(path)
    project.dataset = {"source": "npz", "path": "digits.npz"}
    export_project(project, "script", tmp_path / "train.py")
    assert f"'path': {str(tmp_path / 'digits.npz')!r}" in (tmp_path / "train.py").read_text()
    with_cnnstudio = run(
        [sys.executable, tmp_path / "train.py", "--epochs", "1", "--batch-size", "8"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert with_cnnstudio.returncode == 0, with_cnnstudio.stderr
    assert "npz" in with_cnnstudio.stdout
    hidden = run(python(hide_cnnstudio, tmp_path / "train.py", "--epochs", "1"), cwd=tmp_path)
    assert hidden.returncode == 2
    assert "train.py: error:" in hidden.stderr
    assert "pip install cnnstudio" in hidden.stderr
    assert "Traceback" not in hidden.stderr


@pytest.mark.slow
def test_usage_errors_are_one_line(
    exports: ExportCache, hide_cnnstudio: Path, tmp_path: Path
) -> None:
    script = exports.get(LENET, "script").path
    done = run(
        python(
            hide_cnnstudio,
            *(script, *QUICK, "--init", tmp_path / "nope.safetensors"),
            *("--", script, *QUICK, "--resume", "--out", tmp_path / "empty"),
        ),
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr
    assert "train.py: error:" in lines[0]
    assert "nope.safetensors: not a readable safetensors file" in lines[0]
    assert "holds no checkpoint" in lines[1]


def test_a_network_the_shapes_cannot_feed_is_refused(tmp_path: Path) -> None:
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {"shape": [4]}))
    graph.add_node(Node("fc", "Linear", {"out_features": 10}))
    graph.add_node(Node("out", "Output"))
    graph.connect(Edge("input", "fc"))
    graph.connect(Edge("fc", "out"))
    with pytest.raises(
        ExportError, match=r"needs an image Input \[1 or 3, height, width\], got \[4\]"
    ):
        export_project(Project("Vector", graph), "script", tmp_path / "train.py")
    assert list(tmp_path.iterdir()) == []


def test_the_trainers_loop_rules_are_copied_verbatim(exports: ExportCache) -> None:
    """Scaling, statistics, early stopping, the share of a global batch each process trains on
    and the torchrun exit come from ``loop_core``, not a second copy."""
    code = exports.get(LENET, "script").path.read_text()
    source = Path(loop_core.__file__).read_text(encoding="utf-8")
    shared = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert {n.name for n in shared} == {
        "to_float",
        "channel_stats",
        "StoppingRule",
        "early_stop",
        "batches_per_epoch",
        "process_share",
        "loss_weight",
        "leave",
    }
    for node in shared:
        assert ast.get_source_segment(source, node) in code, node.name
    defined = [getattr(n, "name", None) for n in ast.parse(code).body]
    assert all(defined.count(n.name) == 1 for n in shared)


def test_safetensors_io_matches_the_library(tmp_path: Path) -> None:
    tensors = {
        "w": torch.randn(3, 4),
        "count": torch.tensor(7),
        "half": torch.randn(5).half(),
        "empty": torch.zeros(0, 2),
        "mask": torch.tensor([True, False]),
    }
    write_safetensors(tmp_path / "a.safetensors", tensors)
    loaded = safetensors.torch.load_file(str(tmp_path / "a.safetensors"))
    assert loaded.keys() == tensors.keys()
    assert all(torch.equal(loaded[k], v) for k, v in tensors.items())
    safetensors.torch.save_file(tensors, str(tmp_path / "b.safetensors"))
    back = read_safetensors(tmp_path / "b.safetensors")
    assert all(torch.equal(back[k], v) for k, v in tensors.items())
