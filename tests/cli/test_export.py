"""``cnnstudio export FILE --format F -o OUT``: progress on stdout, one line on stderr on failure.

Exit codes: 0 written, 1 the export failed (invalid graph, unsupported block, missing package,
unwritable path), 2 the project file cannot be read. A failure leaves no file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import onnxruntime
import pytest
import safetensors.torch

from cnnstudio.cli import main
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.weights import attach_weights

ROOT = Path(__file__).parents[2]
LENET = ROOT / "examples" / "lenet5.cnnstudio"


def cli(*args: str | Path) -> int:
    return main(["export", *map(str, args)])


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_exports_and_reports_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(LENET, "--format", "python", "-o", tmp_path / "model.py") == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[:2] == [
        "exporting 'LeNet-5' as python",
        "weights: freshly initialised (seed 0)",
    ]
    assert f"wrote {tmp_path / 'model.py'} (" in out
    assert f"wrote {tmp_path / 'model.safetensors'} (" in out


def test_an_invalid_graph_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(LENET.read_text())
    doc["graph"]["edges"] = [e for e in doc["graph"]["edges"] if e["target"] != "out"]
    path = tmp_path / "broken.cnnstudio"
    path.write_text(json.dumps(doc))
    assert cli(path, "-f", "onnx", "-o", tmp_path / "model.onnx") == 1
    line = one_line(capsys.readouterr().err)
    assert (
        line == f"cnnstudio: {path}: the network has errors: out (Output): input is not connected"
    )
    assert not (tmp_path / "model.onnx").exists()


def test_an_unreadable_project_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path / "nope.cnnstudio", "-f", "onnx", "-o", tmp_path / "m.onnx") == 2
    assert one_line(capsys.readouterr().err).endswith("nope.cnnstudio: no such file")


def test_an_unwritable_path_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "model.pt2"
    assert cli(LENET, "-f", "pt2", "-o", target) == 1
    assert "does not exist" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_package_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert cli(LENET, "-f", "onnx", "-o", tmp_path / "model.onnx") == 1
    line = one_line(capsys.readouterr().err)
    assert line.endswith(
        "the onnx format needs the 'onnx' package: pip install 'cnnstudio[export]'"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unsupported_block_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {"shape": [1, 10, 10]}))
    graph.add_node(Node("pool", "AdaptiveMaxPool2d", {"output_size": 3}))
    graph.add_node(Node("flat", "Flatten"))
    graph.add_node(Node("out", "Output"))
    for a, b in (("input", "pool"), ("pool", "flat"), ("flat", "out")):
        graph.connect(Edge(a, b))
    path = tmp_path / "pool.cnnstudio"
    Project("Pool", graph).save(path)
    assert cli(path, "-f", "onnx", "-o", tmp_path / "model.onnx") == 1
    line = one_line(capsys.readouterr().err)
    assert line.endswith("has no equivalent of aten.adaptive_max_pool2d, used by block 'pool'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.cnnstudio"]


def test_stale_trained_weights_name_the_flag_that_exports_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lenet.cnnstudio"
    project = load_project(LENET)
    project.save(path)
    weights = tmp_path / "trained.safetensors"
    safetensors.torch.save_file(dict(compile_graph(project.graph).state_dict()), str(weights))
    attach_weights(project, weights)
    project.graph.set_params("fc1", {"out_features": 100})  # edited after training
    project.save()
    target = tmp_path / "model.py"
    assert cli(path, "-f", "python", "-o", target) == 1
    line = one_line(capsys.readouterr().err)
    assert "the trained weights are stale" in line
    assert "fc1.weight is [120, 400] in the file but [100, 400] in the graph" in line
    assert line.endswith(
        "add --fresh-weights to export the edited network with seeded initial weights"
    )
    assert not target.exists()
    assert cli(path, "-f", "python", "-o", target, "--fresh-weights") == 0
    assert "weights: freshly initialised (seed 0)" in capsys.readouterr().out


@pytest.mark.slow
def test_a_real_run_writes_a_working_onnx_file_and_nothing_to_stderr(tmp_path: Path) -> None:
    """As a user runs it: the exporter's own chatter (logging, warnings) stays out of stderr."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "cnnstudio", "export", str(LENET), "-f", "onnx", "-o", "lenet.onnx"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "wrote lenet.onnx (" in done.stdout
    session = onnxruntime.InferenceSession(
        str(tmp_path / "lenet.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [d for d in session.get_inputs()[0].shape] == ["batch", 1, 28, 28]
