"""Build step that puts the shipped data into the wheel; all metadata lives in pyproject.toml.

``examples/`` and ``resources/`` stay at the top of the checkout, where users browse them and the
docs, tests and benchmarks name them, and are copied into the package (``cnnstudio/examples``,
``cnnstudio/resources``) as the wheel is built; ``cnnstudio.core.shipped`` finds either place.
MANIFEST.in puts them in the sdist. Not symlinks: those break on Windows and in sdists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("examples", "resources")


class BuildPyWithShippedData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders in place
            return
        for folder in SHIPPED:
            target = Path(self.build_lib, "cnnstudio", folder)
            shutil.rmtree(target, ignore_errors=True)  # no file left from an earlier build
            shutil.copytree(folder, target)


setup(cmdclass={"build_py": BuildPyWithShippedData})
