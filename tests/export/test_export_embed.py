"""Copying definitions into a standalone script: only what is used, with checked imports."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from cnnstudio.export.embed import Embedder
from cnnstudio.train.data import shapes

MakeModule = Callable[[str, str], ModuleType]


@pytest.fixture
def make_module(tmp_path: Path) -> Iterator[MakeModule]:
    made: list[str] = []

    def make(name: str, source: str) -> ModuleType:
        path = tmp_path / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        made.append(name)
        spec.loader.exec_module(module)
        return module

    yield make
    for name in made:
        sys.modules.pop(name, None)


def test_only_what_is_used_is_copied() -> None:
    embedder = Embedder()
    embedder.add(shapes, ["generate_shapes"], "shapes")
    assert {"generate_shapes", "_render_figures", "_SDFS", "_Params", "VBARS"} <= embedder.defined
    assert "load_shapes" not in embedder.defined
    assert embedder.imports() == "import dataclasses\nimport math\n\nimport numpy as np"
    namespace: dict[str, object] = {}
    exec(embedder.imports() + "\n" + embedder.code(), namespace)
    x, y = namespace["generate_shapes"](12, 16, 16, 1, 0)
    expected_x, expected_y = shapes.generate_shapes(12, 16, 16, 1, 0)
    assert (x == expected_x).all()
    assert (y == expected_y).all()


def test_annotation_only_imports_are_left_out(make_module: MakeModule) -> None:
    module = make_module(
        "embed_annotations",
        "from __future__ import annotations\nfrom cnnstudio.core.graph import GraphModel\n"
        "import json\n\ndef f(g: GraphModel) -> str:\n    return json.dumps(1)\n",
    )
    embedder = Embedder()
    embedder.add(module, ["f"], "f")
    assert embedder.imports() == "import json"


def test_a_third_party_import_is_refused(make_module: MakeModule) -> None:
    module = make_module(
        "embed_third_party", "import safetensors\n\ndef f():\n    return safetensors\n"
    )
    with pytest.raises(RuntimeError, match="imports 'safetensors'; a standalone script cannot"):
        Embedder().add(module, ["f"], "f")


def test_a_cnnstudio_import_must_be_embedded_too(make_module: MakeModule) -> None:
    module = make_module(
        "embed_needs",
        "from cnnstudio.train.optim import LrSchedule\n\ndef f():\n    return LrSchedule\n",
    )
    embedder = Embedder()
    embedder.add(module, ["f"], "f")
    with pytest.raises(RuntimeError, match="embed_needs needs 'LrSchedule', which is not embedded"):
        embedder.imports()


def test_two_different_definitions_of_a_name_are_refused(make_module: MakeModule) -> None:
    first = make_module("embed_first", "LIMIT = 1\n")
    second = make_module("embed_second", "LIMIT = 2\n")
    embedder = Embedder()
    embedder.add(first, ["LIMIT"], "first")
    with pytest.raises(RuntimeError, match="'LIMIT' is defined differently"):
        embedder.add(second, ["LIMIT"], "second")
