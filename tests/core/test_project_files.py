"""Project files: exact round trips, atomic saves, migrations, and one clear message per fault."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from bad_files import BAD_FILES, BadFile, tiny

from cnnstudio.core import fileio, project
from cnnstudio.core.errors import CnnStudioError, ProjectFileError
from cnnstudio.core.graph import Node
from cnnstudio.core.project import Project, load_project, pretty_json

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.cnnstudio"))


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip_byte_for_byte(path: Path, tmp_path: Path) -> None:
    loaded = load_project(path)
    assert loaded.path == path
    assert loaded.to_dict() == json.loads(path.read_text(encoding="utf-8"))
    assert loaded.to_json() == path.read_text(encoding="utf-8")
    copy = tmp_path / path.name
    loaded.save(copy)
    assert loaded.path == copy
    assert copy.read_bytes() == path.read_bytes()
    assert Project.from_dict(loaded.to_dict()).to_dict() == loaded.to_dict()


def test_unknown_top_level_keys_and_sections_are_kept_intact(tmp_path: Path) -> None:
    doc = tiny()
    doc["plugin"] = {"nested": [1, {"a": None, "b": [True, 2.5, "ü"]}], "empty": {}}
    doc["comment"] = "kept"
    doc["dataset"] = {"kind": "folder", "path": "data"}
    doc["training"] = {"epochs": 3}
    doc["weights"] = {"file": "tiny.safetensors"}
    loaded = load_project(_write(tmp_path / "a.cnnstudio", doc))
    assert loaded.extra == {"plugin": doc["plugin"], "comment": "kept"}
    assert (loaded.dataset, loaded.training, loaded.weights) == (
        doc["dataset"],
        doc["training"],
        doc["weights"],
    )
    loaded.save()
    assert json.loads((tmp_path / "a.cnnstudio").read_text(encoding="utf-8")) == doc
    assert load_project(tmp_path / "a.cnnstudio").to_dict() == doc


def test_extra_keys_never_override_the_known_ones() -> None:
    p = Project(name="N", extra={"name": "other", "format": "x", "x": 1})
    doc = p.to_dict()
    assert (doc["name"], doc["format"], doc["x"]) == ("N", "cnnstudio", 1)


def test_a_new_project_is_minimal_and_asks_for_a_path() -> None:
    p = Project()
    assert p.to_dict() == {
        "format": "cnnstudio",
        "version": 2,
        "name": "Untitled",
        "graph": {"definitions": [], "nodes": [], "edges": []},
    }
    assert p.base_dir == Path.cwd()
    with pytest.raises(CnnStudioError, match="the project has no file name yet"):
        p.save()


def test_defaults_are_filled_in_when_keys_are_left_out(tmp_path: Path) -> None:
    doc = {
        "format": "cnnstudio",
        "version": 1,
        "graph": {"nodes": [{"id": "r", "type": "ReLU"}]},
    }
    loaded = load_project(_write(tmp_path / "min.cnnstudio", doc))
    assert loaded.name == "Untitled"
    assert loaded.graph.node("r").params == {}
    assert loaded.graph.node("r").position == (0.0, 0.0)
    assert loaded.base_dir == tmp_path


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.cnnstudio"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(tiny()).encode())
    assert load_project(path).name == "Tiny"


def test_saved_text_is_diff_friendly(tmp_path: Path) -> None:
    p = Project.from_dict(tiny())
    p.graph.move("conv1", (12.5, -3))
    text = p.to_json()
    assert text.endswith("}\n")
    node_lines = [line for line in text.splitlines() if '"id": ' in line]
    assert len(node_lines) == 6
    assert (
        '{"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "padding": 1}, "position": [12.5, -3]}'
        in text
    )


def test_pretty_json_handles_wide_and_deep_values() -> None:
    deep: Any = 1
    for _ in range(300):
        deep = [deep, "x" * 10]
    value = {"deep": deep, "wide": list(range(100))}
    text = pretty_json(value)
    assert json.loads(text) == value
    with pytest.raises(ValueError, match="Out of range float values"):
        pretty_json({"x": float("nan")})


def test_a_failing_save_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "keep.cnnstudio", tiny())
    before = path.read_bytes()
    p = load_project(path)
    p.graph.add_node(Node("extra", "ReLU"))

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "fsync", broken_fsync)
    with pytest.raises(
        CnnStudioError, match=r"keep.cnnstudio: cannot save: No space left on device"
    ):
        p.save()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.cnnstudio"]


def test_saving_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(CnnStudioError, match="cannot save: No such file or directory"):
        Project().save(tmp_path / "no" / "such" / "a.cnnstudio")


def test_saving_keeps_file_permissions(tmp_path: Path) -> None:
    path = _write(tmp_path / "perm.cnnstudio", tiny())
    path.chmod(0o600)
    load_project(path).save()
    assert path.stat().st_mode & 0o777 == 0o600


def _rename_title(doc: dict[str, Any]) -> dict[str, Any]:
    """A version-2 -> 3 migration invented for the test: 'title' became 'name'."""
    doc = dict(doc)
    doc["name"] = doc.pop("title")
    return doc


def test_older_versions_are_migrated_on_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "VERSION", 3)
    monkeypatch.setitem(project.MIGRATIONS, 2, _rename_title)
    doc = tiny()
    doc["title"] = doc.pop("name") + " (old)"
    old = _write(tmp_path / "old.cnnstudio", doc)
    loaded = load_project(old)
    assert loaded.name == "Tiny (old)"
    assert "title" not in loaded.extra
    assert loaded.to_dict()["version"] == 3
    assert loaded.upgraded_from == 2
    assert doc["version"] == 2
    current = _write(tmp_path / "new.cnnstudio", loaded.to_dict())
    assert load_project(current).to_dict() == loaded.to_dict()


def test_a_migration_that_cannot_cope_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "VERSION", 3)
    monkeypatch.setitem(project.MIGRATIONS, 2, _rename_title)
    path = _write(tmp_path / "old.cnnstudio", tiny())
    with pytest.raises(ProjectFileError, match="cannot upgrade from version 2: KeyError: 'title'"):
        load_project(path)


def test_oversized_files_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.cnnstudio"
    with path.open("wb") as f:
        f.truncate(project.MAX_FILE_BYTES + 1)
    with pytest.raises(ProjectFileError, match="file is 67 MB; a project is at most 64 MB"):
        load_project(path)


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_bad_files_name_file_json_path_and_reason(case: BadFile, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    error = info.value
    assert (error.file, error.json_path) == (str(path), case.json_path)
    assert case.reason in error.reason
    where = f" at {case.json_path}" if case.json_path else ""
    assert str(error) == f"{path}{where}: {error.reason}"
    assert "\n" not in str(error)
    assert len(str(error)) < 300


def test_from_dict_names_memory_as_the_file() -> None:
    with pytest.raises(ProjectFileError, match=r"^<memory> at format: not a cnnstudio project"):
        Project.from_dict({"format": "other"})


def test_atomic_path_discards_a_failed_write(tmp_path: Path) -> None:
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")

    def failing_writer() -> None:
        with fileio.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        failing_writer()
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_atomic_write_creates_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    fileio.atomic_write_text(target, "héllo")
    assert target.read_bytes() == "héllo".encode()
    assert target.stat().st_mode & 0o777 == 0o644


def _as_version_1(doc: dict[str, Any]) -> dict[str, Any]:
    """What cnnstudio 1 wrote for a network without groups."""
    graph = {k: v for k, v in doc["graph"].items() if k != "definitions"}
    return {**doc, "version": 1, "graph": graph}


def test_migration_1_to_2_adds_an_empty_definitions_list() -> None:
    old = _as_version_1(tiny())
    new = project.MIGRATIONS[1](old)
    assert new["graph"] == {"definitions": [], **old["graph"]}
    assert "definitions" not in old["graph"]  # the caller's document is left as it was
    assert project.MIGRATIONS[1]({"format": "cnnstudio", "version": 1}) == {
        "format": "cnnstudio",
        "version": 1,
    }


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.stem in ("lenet5", "vgg_small")], ids=lambda p: p.stem
)
def test_version_1_files_load_unchanged_and_save_as_version_2(path: Path, tmp_path: Path) -> None:
    current = json.loads(path.read_text(encoding="utf-8"))
    old = _write(tmp_path / "old.cnnstudio", _as_version_1(current))
    loaded = load_project(old)
    assert loaded.upgraded_from == 1
    assert loaded.to_dict() == current
    loaded.save()
    assert json.loads(old.read_text(encoding="utf-8"))["version"] == 2
    assert load_project(old).upgraded_from is None
