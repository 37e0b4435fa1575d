"""Shipped data: a source checkout reads the top-level folders the wheel's build copies in.

The installed case (a wheel in a fresh venv) is checked by scripts/wheel-check.sh, run by
`make test`.
"""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.shipped import examples_dir, resources_dir

ROOT = Path(__file__).parents[1]


def test_a_checkout_reads_its_top_level_folders() -> None:
    assert examples_dir() == ROOT / "examples"
    assert resources_dir() == ROOT / "resources"
    assert (resources_dir() / "styles" / "app.qss").is_file()
    assert (examples_dir() / "lenet5.cnnstudio").is_file()
