"""Trained weights on the user's own pictures: each image converted as the dataset's were.

An image is decoded with the image-folder loader's ``decode_image`` (stretched to the Input's
size, grayscale or RGB by its channels), scaled to [0, 1] and standardised with the statistics
the weights were trained with; the class names are the run's. Both come from the run folder
(``config.json``) or, for weights attached to a project, from its ``weights`` section.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from cnnstudio.core.analysis import analyze
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.torch_backend.compiler import CompileError, compile_graph
from cnnstudio.train.attribution import Attributor, Heat
from cnnstudio.train.checkpoint import CheckpointError, load_weights_into, read_weights
from cnnstudio.train.data.catalog import STANDARD_DATASETS
from cnnstudio.train.data.folder import Color, decode_image, scan_image_folder
from cnnstudio.train.data.normalize import Normalization, to_float
from cnnstudio.train.data.section import SHAPE_SOURCES
from cnnstudio.train.data.shapes import SHAPE_CLASSES
from cnnstudio.train.loss import output_kind
from cnnstudio.train.runs import BEST, CONFIG, LAST, RunFolder
from cnnstudio.train.weights import load_project_weights

PREDICT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")


class ImageError(CnnStudioError):
    """An image file that cannot be read as a picture."""


@dataclasses.dataclass(frozen=True)
class Prediction:
    image: Path
    pixels: np.ndarray  # uint8 (C, H, W): the picture as the network saw it, before scaling
    probabilities: np.ndarray  # float32 [classes], summing to 1
    cam: Heat | None  # Grad-CAM of the predicted class (None: the network has no convolution)

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def image_files(paths: Sequence[Path]) -> list[Path]:
    """Files as given, and the PNG/JPEG/BMP files inside folders (recursively, in name order)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in PREDICT_EXTENSIONS
                and not p.name.startswith(".")
            )
        else:
            out.append(path)
    return out


class Predictor:
    """The project's network with trained weights, ready to classify images.

    ``weights``: a ``.safetensors`` file or a run folder (its best weights, else its last);
    None: the weights attached to the project. Raises CheckpointError (no weights, or weights
    that do not fit the graph) or CompileError (an invalid graph).
    """

    def __init__(self, project: Project, weights: Path | None = None) -> None:
        analysis = analyze(project.graph)
        if not analysis.valid or analysis.output_id is None or analysis.input_shape is None:
            first = analysis.errors[0].message if analysis.errors else "no Input or Output"
            raise CompileError(f"{project.name}: the network is not valid ({first})")
        shape = analysis.input_shape
        if len(shape) != 3 or shape[0] not in (1, 3):
            raise CompileError(
                f"the Input takes {'x'.join(map(str, shape))}; pictures are 1 (grayscale) or "
                "3 (RGB) channels x height x width"
            )
        channels, height, width = shape
        self.size = (height, width)
        self.color: Color = "grayscale" if channels == 1 else "rgb"
        model = compile_graph(project.graph, name=project.name, analysis=analysis)
        if weights is None:
            load_project_weights(project, model)
            section = project.weights or {}
            run = section.get("run")
            meta = _run_data(project.base_dir / run) if isinstance(run, str) else {}
            meta = {
                **meta,
                **{k: section[k] for k in ("class_names", "normalization") if k in section},
            }
        else:
            file, run_dir = _weights_in(weights)
            load_weights_into(model, read_weights(file), str(file))
            meta = _run_data(run_dir) if run_dir is not None else {}
        self.normalization = _normalization(meta.get("normalization"), channels)
        self.attributor = Attributor(model, output_kind(project.graph, analysis.output_id))
        classes = analysis.output_shape[0] if analysis.output_shape else 0
        self.class_names = _class_names(meta.get("class_names"), classes, project)

    def pixels(self, path: Path) -> np.ndarray:
        """``path`` as uint8 ``(C, H, W)`` at the Input's size; raises ImageError."""
        try:
            return decode_image(path, self.size, self.color)
        except FileNotFoundError:
            raise ImageError(f"{path}: no such image file") from None
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageError(f"{path}: not a readable image ({exc})") from None

    def predict(self, path: Path, cam: bool = True) -> Prediction:
        pixels = self.pixels(path)
        x = to_float(torch.from_numpy(pixels).unsqueeze(0))
        if self.normalization is not None:
            x = self.normalization.apply(x)
        if cam and self.attributor.default_node is not None:
            heat = self.attributor.attribute(x[0], "gradcam")
            return Prediction(path, pixels, heat.probabilities, heat)
        return Prediction(path, pixels, self.attributor.probabilities(x[0]), None)


def _weights_in(path: Path) -> tuple[Path, Path | None]:
    """The weights file ``path`` names and the run folder it belongs to, if any."""
    if path.is_dir():
        folder = RunFolder(path)
        for which in (BEST, LAST):
            if folder.weights(which).is_file():
                return folder.weights(which), path
        raise CheckpointError(
            f"{path}: no trained weights in this folder ({BEST}/{LAST}.safetensors)"
        )
    if not path.exists():
        raise CheckpointError(f"{path}: no such weights file or run folder")
    return path, path.parent if (path.parent / CONFIG).is_file() else None


def _run_data(run: Path) -> dict[str, Any]:
    """The ``data`` record of a run's config.json (class names, normalisation), if readable."""
    try:
        data = RunFolder(run).read_config().get("data", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def _normalization(value: Any, channels: int) -> Normalization | None:
    if not isinstance(value, Mapping):
        return None  # weights trained elsewhere (an imported module): taken as they are
    try:
        mean = tuple(float(v) for v in value["mean"])
        std = tuple(float(v) for v in value["std"])
    except (KeyError, TypeError, ValueError):
        return None
    if len(mean) != channels or len(std) != channels or min(std, default=0.0) <= 0:
        return None
    return Normalization(mean, std)


def _class_names(value: Any, classes: int, project: Project) -> tuple[str, ...]:
    """The run's class names, else the dataset's (without loading it), else numbers."""
    names = value if isinstance(value, list) else dataset_class_names(project)
    if len(names) == classes and all(isinstance(v, str) for v in names):
        return tuple(names)
    return tuple(f"class {i}" for i in range(classes))


def dataset_class_names(project: Project) -> list[str]:
    """Class names the ``dataset`` section fixes: shapes, a standard dataset, folder names."""
    cfg = project.dataset or {"source": "shapes"}
    source, path = cfg.get("source"), cfg.get("path")
    if source in SHAPE_SOURCES:
        return list(SHAPE_CLASSES)
    if isinstance(source, str) and source in STANDARD_DATASETS:
        return list(STANDARD_DATASETS[source].class_names)
    if source == "folder" and isinstance(path, str):
        try:
            return list(scan_image_folder(project.base_dir / path)[2])
        except (CnnStudioError, OSError):
            return []
    return []


def prediction_json(prediction: Prediction, class_names: Sequence[str]) -> str:
    """One line of ``cnnstudio predict --json``."""
    probs = prediction.probabilities.astype(np.float64)
    probs = probs / probs.sum() if probs.sum() > 0 else probs
    return json.dumps(
        {
            "image": str(prediction.image),
            "predicted": class_names[prediction.predicted],
            "probabilities": {n: float(p) for n, p in zip(class_names, probs, strict=True)},
        }
    )
