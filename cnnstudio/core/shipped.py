"""Where the files shipped with cnnstudio lie: example projects, the GUI's styles and icons, docs.

Their source is the checkout's top-level ``examples/`` and ``resources/`` (what users browse and
the docs name); building a wheel copies them into the package (``setup.py``), so an installed
cnnstudio reads them as package data and a source checkout reads the top-level folders.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]


def examples_dir() -> Path:
    """The example projects (``lenet5.cnnstudio``...)."""
    return _shipped("examples")


def resources_dir() -> Path:
    """The stylesheet (``styles/app.qss``) and the SVG icons (``icons/``)."""
    return _shipped("resources")


def docs_dir() -> Path:
    """The folder holding README.md beside ``docs/`` (the checkout, or the packaged copy)."""
    return _shipped("help_docs", checkout=_CHECKOUT)


def _shipped(folder: str, checkout: Path | None = None) -> Path:
    # A real folder, not any Traversable: Qt's stylesheet and QIcon read files by path.
    packaged = files("cnnstudio") / folder
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return checkout if checkout is not None else _CHECKOUT / folder
