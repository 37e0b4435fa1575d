"""Image folders: every Pillow format, resizing, colour modes, skipped files, lazy loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnstudio.train.data import DatasetError, LazyImageFolder, batches, load_image_folder
from cnnstudio.train.data.errors import DatasetNotFoundError

FORMATS = ("png", "jpg", "bmp", "gif", "tiff", "webp")


def _solid(color: tuple[int, int, int], size: tuple[int, int] = (20, 12)) -> Image.Image:
    return Image.new("RGB", size, color)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three classes of solid-colour images, one file per format and class, plus clutter."""
    root = tmp_path / "pictures"
    colors = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}
    for name, color in colors.items():
        (root / name / "nested").mkdir(parents=True)
        for fmt in FORMATS:
            _solid(color).save(root / name / f"img.{fmt}")
        _solid(color).convert("L").save(root / name / "nested" / "gray.PNG")
    (root / "red" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "red" / "notes.txt").write_text("not an image")
    (root / "red" / ".DS_Store").write_bytes(b"hidden")
    (root / "README.md").write_text("top-level files are not samples")
    return root


def test_loads_every_format_and_reports_skipped_files(folder: Path) -> None:
    ds = load_image_folder(folder, (8, 10), "rgb", val_fraction=0.0)
    assert ds.class_names == ("blue", "green", "red")
    assert ds.sample_shape == (3, 8, 10)
    assert ds.x_train.dtype == torch.uint8
    assert ds.class_counts() == [len(FORMATS) + 1] * 3
    assert len(ds.val) == 0
    skipped = {path.name: reason for path, reason in ds.skipped}
    assert set(skipped) == {"broken.png", "notes.txt"}
    assert skipped["notes.txt"] == "not an image file type (.txt)"
    for label, channel in ((0, 2), (1, 1), (2, 0)):  # blue, green, red
        images = ds.x_train[ds.y_train == label].float()
        colored = images[:, channel].mean(dim=(1, 2))
        assert (colored[:-1] > 200).all()  # the colour images (lossy formats are close enough)
        others = [c for c in range(3) if c != channel]
        assert (images[:-1][:, others].mean(dim=(1, 2, 3)) < 60).all()


def test_grayscale_conversion(folder: Path) -> None:
    ds = load_image_folder(folder, (5, 5), "grayscale", val_fraction=0.0)
    assert ds.sample_shape == (1, 5, 5)
    green = ds.x_train[ds.y_train == 1].float().mean()
    blue = ds.x_train[ds.y_train == 0].float().mean()
    assert green > blue  # luminance weights green far above blue


def test_split_is_seeded_and_stratified(folder: Path) -> None:
    a = load_image_folder(folder, (4, 4), val_fraction=0.3, seed=5)
    b = load_image_folder(folder, (4, 4), val_fraction=0.3, seed=5)
    assert a.class_counts("val") == [2, 2, 2]
    assert torch.equal(a.x_val, b.x_val)
    assert torch.equal(a.y_val, b.y_val)


def test_over_the_memory_limit_images_load_lazily(folder: Path) -> None:
    eager = load_image_folder(folder, (6, 6), "rgb", val_fraction=0.3, seed=1)
    lazy = load_image_folder(folder, (6, 6), "rgb", val_fraction=0.3, seed=1, memory_limit=1000)
    assert isinstance(lazy.x_train, LazyImageFolder)
    assert "decoded on demand" in lazy.source
    assert lazy.sample_shape == eager.sample_shape == (3, 6, 6)
    assert "broken.png" in {p.name for p, _ in lazy.skipped}  # caught from its header alone
    assert torch.equal(lazy.y_train, eager.y_train)
    assert torch.equal(
        torch.stack([lazy.x_train[i] for i in range(len(lazy.train))]), eager.x_train
    )
    got = list(batches(lazy.train, 4))
    assert torch.equal(torch.cat([x for x, _ in got]), eager.x_train.float() / 255)
    assert torch.equal(torch.cat([y for _, y in got]), eager.y_train)


def test_lazy_images_survive_files_vanishing(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lazy = load_image_folder(folder, (6, 6), "rgb", memory_limit=0)
    assert isinstance(lazy.x_train, LazyImageFolder)
    lazy.x_train.paths[0].unlink()
    assert torch.equal(lazy.x_train[0], torch.zeros(3, 6, 6, dtype=torch.uint8))
    assert "cannot read" in caplog.text


def test_lazy_batches_with_worker_processes(folder: Path) -> None:
    lazy = load_image_folder(folder, (6, 6), "rgb", val_fraction=0.0, memory_limit=0)
    got = list(
        batches(
            lazy.train, 5, shuffle=True, generator=torch.Generator().manual_seed(0), num_workers=2
        )
    )
    assert sum(len(y) for _, y in got) == len(lazy.train)
    assert sorted(torch.cat([y for _, y in got]).tolist()) == sorted(lazy.y_train.tolist())


def test_palette_transparency_and_rgba_are_handled(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        paletted = Image.new("P", (4, 4), 1)
        paletted.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
        paletted.save(tmp_path / cls / "p.png", transparency=0)
        Image.new("RGBA", (4, 4), (10, 20, 30, 0)).save(tmp_path / cls / "rgba.png")
    ds = load_image_folder(tmp_path, (4, 4), "rgb", val_fraction=0.0)
    assert ds.skipped == []
    assert len(ds.train) == 4


def test_errors_name_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="not found") as info:
        load_image_folder(tmp_path / "nope", (8, 8))
    assert str(tmp_path / "nope") in str(info.value)
    (tmp_path / "only").mkdir()
    with pytest.raises(DatasetError, match="at least two class subfolders, found 1"):
        load_image_folder(tmp_path, (8, 8))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.jpg").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="no readable images"):
        load_image_folder(tmp_path, (8, 8))


def test_decoded_pixels_match_pillow_resize(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.fromarray(pixels).save(tmp_path / cls / "x.png")
    ds = load_image_folder(tmp_path, (9, 7), "rgb", val_fraction=0.0)
    np.testing.assert_array_equal(ds.x_train[0].numpy().transpose(1, 2, 0), pixels)
