"""The project's dataset section: validation messages, defaults, and loading by source."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dataset_files import CifarSet, IdxSet
from PIL import Image

from cnnstudio.train.data import (
    SHAPE_CLASSES,
    AugmentOptions,
    DatasetError,
    dataset_from_config,
    validate_dataset_config,
)
from cnnstudio.train.data.section import dataset_name, declared_classes


def test_none_means_shapes_at_the_input_shape() -> None:
    gray = dataset_from_config(None, (1, 28, 28))
    assert gray.sample_shape == (1, 28, 28)
    assert gray.class_names == SHAPE_CLASSES
    assert (len(gray.train), len(gray.val)) == (10000, 2000)
    assert gray.source.startswith("shapes:")
    assert dataset_from_config(None, [3, 12, 20]).sample_shape == (3, 12, 20)


@pytest.mark.parametrize("shape", [(784,), (2, 28, 28), (1, 4, 28), (1, 28, 28, 1)])
def test_none_needs_an_image_input(shape: tuple[int, ...]) -> None:
    with pytest.raises(DatasetError, match=r"needs an image Input shape \[1 or 3, height, width\]"):
        dataset_from_config(None, shape)


def test_defaults_are_filled_per_source() -> None:
    assert validate_dataset_config({"source": "shapes"}) == {
        "source": "shapes",
        "seed": 0,
        "augment": {"crop_padding": 0, "hflip": False, "affine": False},
        "num_samples": 12000,
        "val_fraction": 0.1667,
    }
    mnist = validate_dataset_config({"source": "mnist", "augment": {"hflip": True}})
    assert mnist["val_fraction"] is None
    assert mnist["download"] is False
    assert mnist["path"] is None
    assert mnist["augment"] == {"crop_padding": 0, "hflip": True, "affine": False}
    kept = validate_dataset_config({"source": "mnist", "num_samples": 500, "color": "rgb"})
    assert (kept["num_samples"], kept["color"]) == (500, "rgb")  # kept for switching back
    assert (
        validate_dataset_config({"source": "folder", "path": "x", "val_fraction": None})[
            "val_fraction"
        ]
        == 0.1667
    )


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ([], "dataset: must be an object, got list"),
        ({}, "dataset.source: required"),
        ({"source": "imagenet"}, "dataset.source: must be one of shapes, shapes-rgb, mnist"),
        (
            {"source": "shapes", "val_fraction": 1.5},
            "dataset.val_fraction: must be between 0 and 1, got 1.5",
        ),
        (
            {"source": "shapes", "val_fraction": True},
            "dataset.val_fraction: must be between 0 and 1",
        ),
        (
            {"source": "shapes", "num_samples": 5},
            "dataset.num_samples: must be an integer between 10 and",
        ),
        ({"source": "shapes", "num_samples": 100.0}, "dataset.num_samples: must be an integer"),
        ({"source": "shapes", "seed": -1}, "dataset.seed: must be an integer >= 0, got -1"),
        ({"source": "mnist", "download": "yes"}, "dataset.download: must be true or false"),
        ({"source": "npz"}, "dataset.path: required for source 'npz'"),
        ({"source": "folder", "path": ""}, "dataset.path: must be a non-empty string"),
        (
            {"source": "folder", "path": "x", "image_size": [28]},
            "dataset.image_size: must be [height, width], got [28]",
        ),
        (
            {"source": "folder", "path": "x", "image_size": [0, 4]},
            "dataset.image_size[0]: must be an integer >= 1, got 0",
        ),
        (
            {"source": "folder", "path": "x", "color": "cmyk"},
            "dataset.color: must be 'grayscale' or 'rgb'",
        ),
        (
            {"source": "shapes", "augment": {"crop_padding": -2}},
            "dataset.augment.crop_padding: must be an integer",
        ),
        (
            {"source": "shapes", "augment": {"hflip": 1}},
            "dataset.augment.hflip: must be true or false",
        ),
        ({"source": "shapes", "augment": {"blur": True}}, "dataset.augment.blur: unknown field"),
        ({"source": "shapes", "augment": True}, "dataset.augment: must be an object"),
        ({"source": "shapes", "colour": "rgb"}, "dataset.colour: unknown field"),
    ],
)
def test_invalid_sections_give_json_path_messages(cfg: Any, message: str) -> None:
    with pytest.raises(DatasetError, match=re.escape(message)):
        validate_dataset_config(cfg)


def test_shapes_follow_the_input_size_and_config() -> None:
    cfg = {"source": "shapes-rgb", "num_samples": 100, "seed": 3, "val_fraction": 0.2}
    ds = dataset_from_config(cfg, (3, 16, 24))
    assert ds.sample_shape == (3, 16, 24)
    assert (len(ds.train), len(ds.val)) == (80, 20)
    assert ds.augment == AugmentOptions()
    augmented = dataset_from_config(
        {**cfg, "augment": {"crop_padding": 4, "affine": True}}, (3, 16, 24)
    )
    assert augmented.augment == AugmentOptions(crop_padding=4, affine=True)
    sized = dataset_from_config(
        {"source": "shapes", "num_samples": 20, "image_size": [9, 9]}, (1, 9, 9)
    )
    assert sized.sample_shape == (1, 9, 9)
    with pytest.raises(DatasetError, match="at least 8x8"):
        dataset_from_config(
            {"source": "shapes", "num_samples": 20, "image_size": [4, 9]}, (1, 4, 9)
        )


def test_shape_mismatch_names_both_shapes(tmp_path: Path, idx_set: IdxSet) -> None:
    idx_set.write(tmp_path)
    with pytest.raises(DatasetError) as info:
        dataset_from_config({"source": "mnist", "path": str(tmp_path)}, (3, 32, 32))
    assert (
        str(info.value)
        == "Input shape [3, 32, 32] does not match the dataset's samples [1, 28, 28] (mnist)"
    )
    with pytest.raises(DatasetError, match="use source 'shapes-rgb' instead"):
        dataset_from_config({"source": "shapes", "num_samples": 20}, (3, 28, 28))


def test_relative_paths_resolve_against_the_project_folder(
    tmp_path: Path, idx_set: IdxSet, cifar10_set: CifarSet
) -> None:
    idx_set.write(tmp_path / "data" / "kmnist")
    ds = dataset_from_config(
        {"source": "kmnist", "path": "data/kmnist", "val_fraction": 0.5}, (1, 28, 28), tmp_path
    )
    assert (len(ds.train), len(ds.val)) == (30, 30)
    cifar10_set.write(tmp_path / "c" / "cifar-10-batches-bin")
    assert (
        dataset_from_config(
            {"source": "cifar10", "path": "c"}, (3, 32, 32), base_dir=tmp_path
        ).num_classes
        == 10
    )


def test_missing_paths_are_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        dataset_from_config({"source": "npz", "path": "nowhere.npz"}, (1, 8, 8), tmp_path)
    assert str(tmp_path / "nowhere.npz") in str(info.value)
    with pytest.raises(DatasetError, match=r"image folder .* not found") as info:
        dataset_from_config({"source": "folder", "path": "pics"}, (1, 8, 8), tmp_path)
    assert str(tmp_path / "pics") in str(info.value)


def test_standard_datasets_default_to_the_cache(
    tmp_path: Path, idx_set: IdxSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNSTUDIO_DATA", str(tmp_path))
    idx_set.write(tmp_path / "mnist")
    assert len(dataset_from_config({"source": "mnist"}, (1, 28, 28)).val) == 20
    with pytest.raises(
        DatasetError, match=r"Download when missing.*dataset\.download: true"
    ) as info:
        dataset_from_config({"source": "kmnist"}, (1, 28, 28))
    assert str(tmp_path / "kmnist") in str(info.value)


def test_folder_takes_size_and_colour_from_the_input(tmp_path: Path) -> None:
    for cls in ("cat", "dog"):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (30, 20), (i * 40, 100, 200)).save(
                tmp_path / "pics" / cls / f"{i}.png"
            )
    gray = dataset_from_config(
        {"source": "folder", "path": "pics", "val_fraction": 0}, (1, 10, 12), tmp_path
    )
    assert gray.sample_shape == (1, 10, 12)
    assert gray.class_names == ("cat", "dog")
    rgb = dataset_from_config({"source": "folder", "path": "pics"}, (3, 8, 8), tmp_path)
    assert rgb.sample_shape == (3, 8, 8)
    explicit = {"source": "folder", "path": "pics", "image_size": [8, 8], "color": "rgb"}
    with pytest.raises(DatasetError, match=r"Input shape \[1, 8, 8\] does not match"):
        dataset_from_config(explicit, (1, 8, 8), tmp_path)


def test_npz_through_config(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 2, 3, 3), np.float32), y=np.arange(10) % 2)
    ds = dataset_from_config(
        {"source": "npz", "path": "d.npz", "val_fraction": 0.2}, (2, 3, 3), tmp_path
    )
    assert (len(ds.train), len(ds.val)) == (8, 2)


def test_class_count_known_without_loading_only_where_the_source_fixes_it() -> None:
    assert declared_classes(None) == len(SHAPE_CLASSES)  # the built-in shapes
    assert declared_classes({"source": "shapes-rgb"}) == len(SHAPE_CLASSES)
    assert declared_classes({"source": "cifar100"}) == 100
    assert declared_classes({"source": "folder", "path": "flowers"}) is None  # the data tell
    assert declared_classes({"source": "npz", "path": "a.npz"}) is None
    assert declared_classes({"source": "nonsense"}) is None
    assert dataset_name(None) == "shapes"
    assert dataset_name({"source": "mnist"}) == "mnist"
    assert dataset_name({"source": "folder", "path": "data/flowers/"}) == "flowers"
