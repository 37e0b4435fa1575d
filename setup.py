"""Build step that puts the shipped data into the wheel; all metadata lives in pyproject.toml.

``examples/`` and ``resources/`` stay at the top of the checkout, where users browse them and the
docs, tests and benchmarks name them, and are copied into the package (``cnnstudio/examples``,
``cnnstudio/resources``) as the wheel is built, and so are README.md and the docs pages
(``cnnstudio/help_docs``, for Help > Documentation); ``cnnstudio.core.shipped`` finds either place.
MANIFEST.in puts them in the sdist. Not symlinks: those break on Windows and in sdists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("examples", "resources")
DOCS = "help_docs"  # README.md and docs/ (pages, screenshots), read by Help > Documentation
DOC_FILES = ("*.md", "*.png", "*.json")


class BuildPyWithShippedData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders in place
            return
        for folder in SHIPPED:
            target = Path(self.build_lib, "cnnstudio", folder)
            shutil.rmtree(target, ignore_errors=True)  # no file left from an earlier build
            shutil.copytree(folder, target)
        docs = Path(self.build_lib, "cnnstudio", DOCS)
        shutil.rmtree(docs, ignore_errors=True)
        (docs / "docs").mkdir(parents=True)
        shutil.copy2("README.md", docs / "README.md")
        for pattern in DOC_FILES:
            for page in Path("docs").glob(pattern):
                shutil.copy2(page, docs / "docs" / page.name)


setup(cmdclass={"build_py": BuildPyWithShippedData})
