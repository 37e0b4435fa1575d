"""``python -m cnnstudio summary FILE [--json]`` run as a user runs it, in a subprocess.

Unreadable input: exit 2 and one line on stderr naming the file, JSON path and reason.
A readable but invalid graph: exit 1 with the full summary. Never a traceback, never a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bad_files import BAD_FILES, BadFile, tiny

from cnnstudio.core.analysis import analyze
from cnnstudio.core.project import load_project

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.cnnstudio"))
TIMEOUT_S = 60


def summary(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "cnnstudio", "summary", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _check_summary_object(doc: Any) -> None:
    """The --json contract: exact keys and JSON types."""
    assert isinstance(doc, dict)
    assert set(doc) == {
        "name",
        "valid",
        "total_params",
        "trainable_params",
        "macs",
        "nodes",
        "errors",
    }
    assert isinstance(doc["name"], str)
    assert isinstance(doc["valid"], bool)
    for key in ("total_params", "trainable_params", "macs"):
        assert type(doc[key]) is int
    assert isinstance(doc["nodes"], list)
    for node in doc["nodes"]:
        assert set(node) == {"id", "type", "output_shape", "params", "macs"}
        assert isinstance(node["id"], str)
        assert isinstance(node["type"], str)
        shape = node["output_shape"]
        assert shape is None or (isinstance(shape, list) and all(type(s) is int for s in shape))
        assert type(node["params"]) is int
        assert type(node["macs"]) is int
    assert isinstance(doc["errors"], list)
    for error in doc["errors"]:
        assert set(error) == {"node", "message"}
        assert error["node"] is None or isinstance(error["node"], str)
        assert isinstance(error["message"], str)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_json_summary_of_each_example(path: Path, tmp_path: Path) -> None:
    result = summary(path, "--json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count("\n") == 1
    doc = json.loads(result.stdout)
    _check_summary_object(doc)
    project = load_project(path)
    analysis = analyze(project.graph)
    assert doc["name"] == project.name
    assert doc["valid"] is True
    assert doc["errors"] == []
    assert (doc["total_params"], doc["trainable_params"], doc["macs"]) == (
        analysis.total_params,
        analysis.trainable_params,
        analysis.macs,
    )
    order = [n["id"] for n in doc["nodes"]]
    assert sorted(order) == sorted(n.id for n in project.graph)
    for edge in project.graph.edges:
        assert order.index(edge.source) < order.index(edge.target)
    by_id = {n["id"]: n for n in doc["nodes"]}
    for node_id, info in analysis.nodes.items():
        assert by_id[node_id] == {
            "id": node_id,
            "type": info.type,
            "output_shape": list(info.output_shape) if info.output_shape else None,
            "params": info.params,
            "macs": info.macs,
        }


def test_text_summary_lists_every_node_and_the_totals(tmp_path: Path) -> None:
    path = ROOT / "examples" / "lenet5.cnnstudio"
    result = summary(path, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == "LeNet-5"
    assert lines[2].split() == ["Node", "Type", "Output", "shape", "Params", "MACs"]
    rows = {line.split()[0]: line.split() for line in lines[4:18]}
    graph = load_project(path).graph
    assert set(rows) == {n.id for n in graph}
    assert rows["conv1"] == ["conv1", "Conv2d", "6x28x28", "156", "117,600"]
    assert rows["fc1"] == ["fc1", "Linear", "120", "48,120", "48,000"]
    assert rows["out"] == ["out", "Output", "10", "0", "0"]
    assert "Total params:     61,706 (61.71 k)" in lines
    assert "Trainable params: 61,706" in lines
    assert "MACs per sample:  416,520 (416.52 k)" in lines
    assert lines[-1] == "No issues: the network is ready to train."


def test_an_invalid_graph_exits_1_with_its_summary_and_errors(tmp_path: Path) -> None:
    doc = tiny()
    doc["graph"]["nodes"][1]["params"]["kernel_size"] = 11
    path = _write(tmp_path / "big_kernel.cnnstudio", doc)
    message = "conv1 (Conv2d): kernel 11x11 is larger than its 8x8 input (after padding 1)"

    result = summary(path, "--json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    out = json.loads(result.stdout)
    _check_summary_object(out)
    assert out["valid"] is False
    assert out["errors"] == [{"node": "conv1", "message": message}]
    shapes = {n["id"]: n["output_shape"] for n in out["nodes"]}
    assert shapes == {
        "input": [1, 8, 8],
        "conv1": None,
        "relu1": None,
        "flat": None,
        "fc": None,
        "out": None,
    }

    text = summary(path, cwd=tmp_path)
    assert (text.returncode, text.stderr) == (1, "")
    assert "Errors (1):" in text.stdout
    assert f"  - {message}" in text.stdout
    rows = [line.split() for line in text.stdout.splitlines()]
    assert ["relu1", "ReLU", "?", "0", "0"] in rows
    assert ["conv1", "Conv2d", "?", "0", "0"] in rows


def test_a_graph_without_output_reports_an_error_with_no_node(tmp_path: Path) -> None:
    doc = tiny()
    doc["graph"]["nodes"] = [n for n in doc["graph"]["nodes"] if n["id"] != "out"]
    doc["graph"]["edges"] = [e for e in doc["graph"]["edges"] if e["target"] != "out"]
    result = summary(_write(tmp_path / "no_out.cnnstudio", doc), "--json", cwd=tmp_path)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["errors"] == [{"node": None, "message": "the graph has no Output node"}]
    assert (out["total_params"], out["macs"]) == (0, 0)


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_unreadable_files_give_one_line_and_exit_2(case: BadFile, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    flags = ["--json"] if BAD_FILES.index(case) % 2 else []
    result = summary(path, *flags, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr.rstrip("\n")
    where = f" at {case.json_path}" if case.json_path else ""
    assert line.startswith(f"cnnstudio: {path}{where}: ")
    assert case.reason in line
    assert "Traceback" not in line


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = summary(cwd=tmp_path)
    assert result.returncode == 2
    assert "usage: cnnstudio summary" in result.stderr
    assert "the following arguments are required: file" in result.stderr
