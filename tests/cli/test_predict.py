"""``cnnstudio predict FILE IMAGE...`` on pictures the test draws itself.

Contract: ``--json`` prints one object per image with every class's probability (summing to 1);
an image is converted like the dataset's (a validation sample saved as a PNG gets the very
probabilities the network gives the sample itself); ``--cam`` writes ``<stem>.cam.png`` at the
picture's size; a project without trained weights, weights that do not fit the graph (exit 1)
and an unreadable image or weights file (exit 2) are one line on stderr, never a traceback.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from cnnstudio.cli import main
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project
from cnnstudio.torch_backend.compiler import compile_graph
from cnnstudio.train.checkpoint import save_weights
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.normalize import to_float
from cnnstudio.train.data.shapes import SHAPE_CLASSES
from cnnstudio.train.loss import output_kind
from cnnstudio.train.trainer import train
from cnnstudio.train.weights import attach_weights, load_project_weights

ROOT = Path(__file__).parents[2]
SHAPES = {"source": "shapes", "num_samples": 600}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LeNet-5 trained one epoch on 600 shapes, its weights attached and saved."""
    folder = tmp_path_factory.mktemp("trained")
    project = load_project(ROOT / "examples" / "lenet5.cnnstudio")
    project.dataset = dict(SHAPES)
    project.training = {"epochs": 1, "batch_size": 50, "threads": 1}
    project.save(folder / "net.cnnstudio")
    result = train(project, epochs=1)
    assert result.ok
    assert result.best_weights is not None
    attach_weights(project, result.best_weights, run=result.run_dir)
    project.save()
    assert project.path is not None
    return project.path


def draw(path: Path, side: str = "left", size: int = 64) -> Path:
    """A white disc on black, in colour, at a size other than the network's."""
    image = Image.new("RGB", (size, size))
    x = size // 8 if side == "left" else size // 2
    ImageDraw.Draw(image).ellipse((x, size // 4, x + size * 3 // 8, size * 5 // 8), "white")
    image.save(path)
    return path


def predict(*args: str | Path) -> int:
    return main(["predict", *map(str, args)])


def one_line_error(err: str, words: str) -> None:
    assert err.startswith("cnnstudio: "), err
    assert words in err, err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_json_one_object_per_image_with_every_class(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [draw(tmp_path / "a.png"), draw(tmp_path / "b.jpg", "right")]
    images.append(draw(tmp_path / "c.bmp", size=28))
    assert predict(trained, *images, "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["image"] for r in rows] == [str(p) for p in images]
    for row in rows:
        assert set(row) == {"image", "predicted", "probabilities"}
        probs = row["probabilities"]
        assert list(probs) == list(SHAPE_CLASSES)
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
        assert row["predicted"] == max(probs, key=probs.get)


def test_an_image_is_converted_like_the_dataset(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = load_project(trained)
    data = dataset_from_config(SHAPES, (1, 28, 28))
    model = load_project_weights(project).eval()
    files = []
    for i in range(6):
        files.append(tmp_path / f"val{i}.png")
        Image.fromarray(data.val.x[i, 0].numpy(), mode="L").save(files[-1])
    assert predict(trained, *files, "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with torch.no_grad():
        x = data.normalization.apply(to_float(data.val.x[:6]))
        kind = output_kind(project.graph, "output")
        expected = torch.softmax(model(x), 1) if kind == "logits" else model(x).exp()
    got = np.array([list(r["probabilities"].values()) for r in rows])
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-5)


def test_text_top_k_and_cam_overlays_for_a_folder(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    draw(pictures / "left.png", size=80)
    draw(pictures / "right.png", "right", size=40)
    (pictures / "notes.txt").write_text("not a picture")
    cams = tmp_path / "cams"
    assert predict(trained, pictures, "--top", "3", "--cam", cams) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 * 4  # per image: a headline and three classes
    assert out[0].startswith(f"{pictures / 'left.png'}: ")
    assert sorted(p.name for p in cams.iterdir()) == ["left.cam.png", "right.cam.png"]
    with Image.open(cams / "left.cam.png") as cam:
        assert (cam.size, cam.mode) == ((80, 80), "RGB")
    with Image.open(cams / "right.cam.png") as cam:
        assert cam.size == (40, 40)


def test_without_trained_weights_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = load_project(ROOT / "examples" / "lenet5.cnnstudio")
    project.save(tmp_path / "fresh.cnnstudio")
    assert predict(tmp_path / "fresh.cnnstudio", draw(tmp_path / "a.png")) == 1
    one_line_error(capsys.readouterr().err, "the project has no trained weights")


def test_weights_that_do_not_fit_the_graph_exit_1(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project: Project = load_project(trained)
    project.graph.node("conv1").params["out_channels"] = 8
    project.weights = None
    project.save(tmp_path / "edited.cnnstudio")
    weights = trained.with_suffix(".safetensors")
    assert (
        predict(tmp_path / "edited.cnnstudio", draw(tmp_path / "a.png"), "--weights", weights) == 1
    )
    one_line_error(capsys.readouterr().err, "the weights do not fit the graph")


def test_an_unreadable_image_exit_2_and_the_others_are_classified(
    trained: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    run = json.loads(trained.read_text())["weights"]["run"]
    proc = subprocess.run(
        [sys.executable, "-m", "cnnstudio", "predict", str(trained), str(broken),
         str(draw(tmp_path / "fine.png")), "--weights", str(trained.parent / run), "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    one_line_error(proc.stderr, f"{broken}: not a readable image")
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert row["image"] == str(tmp_path / "fine.png")


def test_a_missing_weights_file_exit_2(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.safetensors"
    assert predict(trained, draw(tmp_path / "a.png"), "--weights", missing) == 2
    one_line_error(capsys.readouterr().err, f"{missing}: no such weights file or run folder")


def test_cam_of_a_network_without_convolutions_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = [
        Node("input", "Input", {"shape": [1, 28, 28]}),
        Node("flatten", "Flatten"),
        Node("fc", "Linear", {"out_features": len(SHAPE_CLASSES)}),
        Node("out", "Output"),
    ]
    graph = GraphModel.from_parts(chain, [Edge(a.id, b.id) for a, b in itertools.pairwise(chain)])
    project = Project("Linear", graph, dataset=dict(SHAPES))
    project.save(tmp_path / "linear.cnnstudio")
    save_weights(tmp_path / "w.safetensors", compile_graph(graph))
    image = draw(tmp_path / "a.png")
    weights = ("--weights", tmp_path / "w.safetensors")
    assert predict(project.path, image, *weights, "--cam", tmp_path / "cams") == 1
    one_line_error(capsys.readouterr().err, "--cam: the network has no convolution")
    assert predict(project.path, image, *weights, "--json") == 0  # without --cam it predicts
    row = json.loads(capsys.readouterr().out)
    assert list(row["probabilities"]) == list(SHAPE_CLASSES)  # names from the dataset section


def test_an_input_that_takes_no_pictures_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = load_project(ROOT / "examples" / "lenet5.cnnstudio")
    project.graph.node("input").params["shape"] = [2, 28, 28]
    project.save(tmp_path / "two.cnnstudio")
    assert predict(tmp_path / "two.cnnstudio", draw(tmp_path / "a.png")) == 1
    one_line_error(capsys.readouterr().err, "the Input takes 2x28x28; pictures are 1 (grayscale)")
