"""``cnnstudio runs`` and ``cnnstudio diff`` run as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import load_project
from cnnstudio.train.trainer import train

ROOT = Path(__file__).parents[2]
TIMEOUT_S = 120
RUN_KEYS = {"run", "status", "epochs", "best_val_accuracy", "val_loss", "seconds"}


def cnnstudio(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "cnnstudio", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def project_file(folder: Path, name: str = "net.cnnstudio") -> Path:
    doc = json.loads((ROOT / "examples" / "lenet5.cnnstudio").read_text())
    doc["dataset"] = {"source": "shapes", "num_samples": 300}
    doc["training"] = {"epochs": 1, "batch_size": 50, "threads": 1, "lr": 0.002}
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def test_runs_lists_each_run_and_diff_compares_run_folders(tmp_path: Path) -> None:
    path = project_file(tmp_path)
    project = load_project(path)
    before = train(project)
    project.graph.set_params("conv1", {"out_channels": 8})
    project.save()
    after = train(project)
    assert before.run_dir is not None
    assert after.run_dir is not None

    listed = cnnstudio("runs", path, "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["run"] for r in rows] == [after.run_dir.name, before.run_dir.name]
    assert RUN_KEYS | {"optimizer", "lr", "batch_size"} <= rows[0].keys()
    assert (rows[0]["optimizer"], rows[0]["lr"], rows[0]["batch_size"]) == ("adam", 0.002, 50)
    assert rows[0]["params"] == analyze(project.graph).total_params
    text = cnnstudio("runs", path, cwd=tmp_path)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].split()[:3] == ["Run", "Status", "Epochs"]
    assert len(text.stdout.splitlines()) == 3

    differ = cnnstudio("diff", before.run_dir, after.run_dir, "--json", cwd=tmp_path)
    assert differ.returncode == 1, differ.stderr
    d = json.loads(differ.stdout)
    assert d["changed"] == [{"node": "conv1", "type": None, "params": {"out_channels": [6, 8]}}]
    assert d["identical"] is False
    assert d["params_delta"] == rows[0]["params"] - rows[1]["params"]
    same = cnnstudio("diff", after.run_dir, path, cwd=tmp_path)
    assert same.returncode == 0
    assert "identical" in same.stdout


def test_diff_text_names_each_change(tmp_path: Path) -> None:
    old = project_file(tmp_path, "old.cnnstudio")
    doc = json.loads(old.read_text())
    for node in doc["graph"]["nodes"]:
        if node["id"] == "relu1":
            node["id"] = "act1"
    for edge in doc["graph"]["edges"]:
        edge["source"] = "act1" if edge["source"] == "relu1" else edge["source"]
        edge["target"] = "act1" if edge["target"] == "relu1" else edge["target"]
    new = tmp_path / "new.cnnstudio"
    new.write_text(json.dumps(doc))
    proc = cnnstudio("diff", old, new, cwd=tmp_path)
    assert proc.returncode == 1
    assert "~ act1: renamed from relu1" in proc.stdout.splitlines()


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    good = project_file(tmp_path)
    (tmp_path / "empty").mkdir()
    for bad in (tmp_path / "missing.cnnstudio", tmp_path / "empty"):
        proc = cnnstudio("diff", good, bad, cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert proc.stderr.startswith("cnnstudio: ")
        assert str(bad) in proc.stderr
    assert cnnstudio("runs", tmp_path / "missing.cnnstudio", cwd=tmp_path).returncode == 2
