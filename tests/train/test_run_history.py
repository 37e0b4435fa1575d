"""The run history: records read from real run folders, newest first, notes kept, fast listing."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from cnnstudio.core.analysis import analyze
from cnnstudio.core.diff import diff_graphs
from cnnstudio.core.project import Project
from cnnstudio.train.run_history import (
    INCOMPLETE,
    list_runs,
    project_runs_dir,
    read_note,
    run_project,
    write_note,
)
from cnnstudio.train.runs import CONFIG, METRICS_JSONL, SUMMARY, RunFolder
from cnnstudio.train.trainer import train

LISTING_BUDGET_S = 0.2


def test_two_runs_are_listed_newest_first_with_their_figures(small: Project) -> None:
    first = train(small, epochs=1)
    small.graph.set_params("conv", {"out_channels": 8})
    second = train(small, epochs=2, lr=0.01, optimizer="sgd")
    assert first.run_dir is not None
    assert second.run_dir is not None
    runs = list_runs(project_runs_dir(small))
    assert [r.path for r in runs] == [second.run_dir, first.run_dir]
    newest = runs[0]
    metrics = RunFolder(second.run_dir).read_metrics()
    analysis = analyze(small.graph)
    assert newest.status == "completed"
    assert (newest.epochs, newest.epochs_planned) == (2, 2)
    assert (newest.optimizer, newest.lr, newest.batch_size) == ("sgd", 0.01, 50)
    assert newest.best_val_accuracy == max(r["val_accuracy"] for r in metrics)
    assert newest.last_val_accuracy == metrics[-1]["val_accuracy"]
    assert newest.val_loss == metrics[-1]["val_loss"]
    assert newest.seconds == round(sum(r["seconds"] for r in metrics), 4)
    assert (newest.params, newest.macs) == (analysis.total_params, analysis.macs)
    assert runs[1].params is not None
    assert newest.params is not None
    assert runs[1].params < newest.params
    # the run folder keeps the network it trained: the diff names the changed convolution
    d = diff_graphs(run_project(first.run_dir).graph, run_project(second.run_dir).graph)
    assert [(c.node, c.params) for c in d.changed] == [("conv", {"out_channels": (4, 8)})]
    as_json = json.loads(json.dumps(newest.to_dict()))
    assert as_json["run"] == second.run_dir.name
    assert as_json["epochs"] == 2


def test_notes_are_kept_in_the_run_folder(tmp_path: Path) -> None:
    run = tmp_path / "20260101-120000"
    run.mkdir()
    write_note(run, "  wider conv1\nsame lr ")
    assert read_note(run) == "wider conv1\nsame lr"
    write_note(run, "")
    assert read_note(run) == ""
    assert not any(run.iterdir())


def test_a_run_without_summary_is_incomplete_with_its_epochs(tmp_path: Path) -> None:
    run = tmp_path / "20260101-120000"
    folder = RunFolder(run)
    run.mkdir()
    folder.write_config({"training": {"epochs": 5, "lr": 0.1}, "project": {"graph": "damaged"}})
    for epoch, acc in ((1, 0.5), (2, 0.75)):
        folder.append_metrics({"epoch": epoch, "val_accuracy": acc, "val_loss": 1.0, "seconds": 2})
    (r,) = list_runs(tmp_path)
    assert r.status == INCOMPLETE
    assert (r.epochs, r.epochs_planned, r.best_val_accuracy, r.seconds) == (2, 5, 0.75, 4.0)
    assert (r.params, r.macs) == (None, None)  # a damaged network hides nothing but its costs


def test_two_hundred_runs_list_within_budget(small: Project) -> None:
    trained = train(small, epochs=1)
    assert trained.run_dir is not None
    folder = project_runs_dir(small)
    for i in range(199):
        copy = folder / f"20250101-{i // 60:02d}{i % 60:02d}00"
        copy.mkdir()
        for name in (CONFIG, SUMMARY, METRICS_JSONL):
            shutil.copy(trained.run_dir / name, copy / name)
    list_runs(folder)  # warm the file system cache as a reopened panel finds it
    started = time.perf_counter()
    runs = list_runs(folder)
    elapsed = time.perf_counter() - started
    print(f"200 runs listed in {elapsed * 1000:.1f} ms")
    assert len(runs) == 200
    assert runs[0].path == trained.run_dir
    assert elapsed < LISTING_BUDGET_S


def test_a_runs_network_keeps_its_relative_data_paths_meaning(tmp_path: Path) -> None:
    """Opened as an unsaved project (or into another folder), a run's network still names the
    data and weights beside the project file that trained it."""
    home = tmp_path / "work"
    project = Project(name="p", path=home / "p.cnnstudio")
    project.dataset = {"source": "folder", "path": "data/images"}
    project.weights = {"file": "p.weights.safetensors", "sha256": "0" * 64}
    run = tmp_path / "run"
    run.mkdir()
    config = {"project": project.to_dict(), "project_file": str(project.path)}
    (run / CONFIG).write_text(json.dumps(config), encoding="utf-8")
    opened = run_project(run)
    assert opened.path is None
    assert opened.dataset == {"source": "folder", "path": str(home / "data" / "images")}
    assert opened.weights is not None
    assert opened.weights["file"] == str(home / "p.weights.safetensors")
    # an absolute path stays; without a project file (trained unsaved) nothing is changed
    config["project"]["dataset"]["path"] = "/data/elsewhere"
    del config["project_file"]
    (run / CONFIG).write_text(json.dumps(config), encoding="utf-8")
    assert run_project(run).dataset == {"source": "folder", "path": "/data/elsewhere"}
    config["project"]["dataset"]["path"] = "data/images"
    (run / CONFIG).write_text(json.dumps(config), encoding="utf-8")
    assert run_project(run).dataset == {"source": "folder", "path": "data/images"}
