"""``cnnstudio predict FILE IMAGE... [--weights W] [--top K] [--cam OUT_DIR] [--json]``.

Classifies the user's own pictures with the project's trained weights (or those of a run folder
or ``.safetensors`` file), each converted as the dataset's images were. ``--json`` prints one
object per image with every class's probability; ``--cam`` writes ``<stem>.cam.png``, the
Grad-CAM of the predicted class over the picture. Exit codes: 0 every image classified, 1 the
project cannot predict (invalid graph, no trained weights, weights that do not fit the graph),
2 unreadable input (the project, the weights file, an image: the others are still classified).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudio.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    fail,
    open_project,
)

if TYPE_CHECKING:
    from cnnstudio.train.predict import Prediction

DEFAULT_TOP = 5


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "predict",
        help="classify your own images with the trained network",
        description="Classify PNG/JPEG/BMP images (or the images in folders) with the "
        "project's trained weights.",
    )
    p.add_argument("file", help="a .cnnstudio project file")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of images")
    p.add_argument(
        "--weights",
        metavar="RUN_DIR_OR_SAFETENSORS",
        help="a run folder (its best weights, else its last) or a .safetensors file; "
        "default: the weights attached to the project",
    )
    p.add_argument(
        "--top", type=int, default=DEFAULT_TOP, metavar="K", help="classes listed per image"
    )
    p.add_argument("--cam", metavar="OUT_DIR", help="write <image-stem>.cam.png Grad-CAM overlays")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image, every class's probability"
    )
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    try:
        return _predict(ns)
    except CliError as exc:
        return fail(exc)


def _predict(ns: argparse.Namespace) -> int:
    if ns.top < 1:
        raise CliError(f"--top must be at least 1, got {ns.top}")
    project = open_project(ns.file)
    from cnnstudio.torch_backend.compiler import CompileError
    from cnnstudio.train.checkpoint import CheckpointError, WeightsMismatch
    from cnnstudio.train.predict import ImageError, Predictor, image_files, prediction_json

    weights = Path(ns.weights) if ns.weights else None
    try:
        predictor = Predictor(project, weights)
    except WeightsMismatch as exc:
        raise CliError(str(exc), EXIT_INVALID) from None
    except CheckpointError as exc:  # an unreadable --weights is unreadable input
        raise CliError(str(exc), EXIT_UNREADABLE if weights else EXIT_INVALID) from None
    except CompileError as exc:
        raise CliError(str(exc), EXIT_INVALID) from None
    out_dir = Path(ns.cam) if ns.cam else None
    if out_dir is not None and predictor.attributor.default_node is None:
        raise CliError(
            "--cam: the network has no convolution for Grad-CAM to look at", EXIT_INVALID
        )
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(
                f"--cam {out_dir}: cannot create the folder ({exc})", EXIT_INVALID
            ) from None
    files = image_files([Path(i) for i in ns.images])
    if not files:
        raise CliError("no PNG, JPEG or BMP images in the folders given")
    code = EXIT_OK
    names = predictor.class_names
    for path in files:
        try:
            prediction = predictor.predict(path, cam=out_dir is not None)
        except ImageError as exc:
            print(f"cnnstudio: {exc}", file=sys.stderr)
            code = EXIT_UNREADABLE
            continue
        if ns.json:
            print(prediction_json(prediction, names), flush=True)
        else:
            print(_text(prediction, names, ns.top), flush=True)
        if out_dir is not None and prediction.cam is not None:
            try:
                _write_cam(prediction, out_dir / f"{path.stem}.cam.png")
            except (OSError, ValueError) as exc:
                print(f"cnnstudio: {path}: cannot write its overlay ({exc})", file=sys.stderr)
                code = max(code, EXIT_INVALID)
    return code


def _text(prediction: Prediction, names: tuple[str, ...], top: int) -> str:
    probs = prediction.probabilities
    order = probs.argsort()[::-1][:top]
    width = max(len(names[i]) for i in order)
    best = prediction.predicted
    lines = [f"{prediction.image}: {names[best]} ({100 * float(probs[best]):.1f} %)"]
    lines += [f"  {names[i].ljust(width)}  {100 * float(probs[i]):5.1f} %" for i in order]
    return "\n".join(lines)


def _write_cam(prediction: Prediction, target: Path) -> None:
    """The heat map over the picture at the picture's own size (atomically written)."""
    import numpy as np
    from PIL import Image

    from cnnstudio.core.fileio import atomic_path
    from cnnstudio.train.overlay import overlay

    assert prediction.cam is not None
    with Image.open(prediction.image) as opened:
        picture = np.asarray(opened.convert("RGB"))
    h, w = picture.shape[:2]
    heat = Image.fromarray(prediction.cam.heat, mode="F").resize((w, h), Image.Resampling.BILINEAR)
    with atomic_path(target) as tmp:
        Image.fromarray(overlay(picture, np.asarray(heat))).save(tmp, format="PNG")
