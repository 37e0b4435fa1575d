"""Exports that cannot be done raise one ExportError with a clear message and leave no file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from export_support import EXAMPLES

from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project
from cnnstudio.export import (
    EXTRA_HINT,
    FORMATS,
    ExportError,
    export_project,
    pipeline,
)

LENET = next(p for p in EXAMPLES if p.stem == "lenet5")


def pooled_project(output_size: int) -> Project:
    """8x8 images -> AdaptiveMaxPool2d(output_size) -> Linear(10)."""
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {"shape": [3, 8, 8]}))
    graph.add_node(Node("pool", "AdaptiveMaxPool2d", {"output_size": output_size}))
    graph.add_node(Node("flat", "Flatten"))
    graph.add_node(Node("fc", "Linear", {"out_features": 10}))
    graph.add_node(Node("out", "Output"))
    for a, b in (("input", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "out")):
        graph.connect(Edge(a, b))
    return Project("Pooled", graph)


def test_an_invalid_graph_is_refused_with_its_errors(tmp_path: Path) -> None:
    project = load_project(LENET)
    project.graph.disconnect(Edge("fc3", "out"))
    with pytest.raises(
        ExportError, match=r"the network has errors: out \(Output\): input is not connected"
    ) as caught:
        export_project(project, "onnx", tmp_path / "model.onnx")
    assert caught.value.invalid_graph
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("model.onnx", "keras", "unknown format 'keras'; choose one of python, script, onnx"),
        ("missing/model.onnx", "onnx", "the folder .*missing does not exist"),
        (".", "pt2", "is a folder; give a file name, e.g. .*model.pt2"),
        ("model.txt", "python", "give a file name ending in .py, not 'model.txt'"),
    ],
)
def test_bad_targets_are_refused(tmp_path: Path, name: str, fmt: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export_project(load_project(LENET), fmt, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_onnx_package_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript now fails
    with pytest.raises(ExportError, match="needs the 'onnxscript' package") as caught:
        export_project(load_project(LENET), "onnx", tmp_path / "model.onnx")
    assert str(caught.value).endswith(EXTRA_HINT)
    assert list(tmp_path.iterdir()) == []


def test_a_block_onnx_cannot_express_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExportError) as caught:
        export_project(pooled_project(3), "onnx", tmp_path / "model.onnx")
    assert str(caught.value) == (
        "ONNX (opset 18) has no equivalent of aten.adaptive_max_pool2d, used by block 'pool'"
    )
    assert list(tmp_path.iterdir()) == []
    export_project(pooled_project(3), "pt2", tmp_path / "model.pt2")  # torch.export has it


def test_a_failed_write_keeps_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "model.py").write_text("old code")
    (tmp_path / "model.safetensors").write_bytes(b"old weights")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.safetensors.torch, "save_file", broken)
    with pytest.raises(
        ExportError, match=r"cannot write .*model.safetensors: No space left on device"
    ):
        export_project(load_project(LENET), "python", tmp_path / "model.py")
    assert (tmp_path / "model.py").read_text() == "old code"
    assert (tmp_path / "model.safetensors").read_bytes() == b"old weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py", "model.safetensors"]


def test_every_format_is_listed_with_a_suffix() -> None:
    assert list(FORMATS) == ["python", "script", "onnx", "torchscript", "pt2"]
    assert all(f.suffix.startswith(".") and f.description for f in FORMATS.values())
