"""A group's expanded state is layout, saved like positions: in the file when true, read back,
copied with the node, ignored by analysis and by what a resumed run must match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnstudio.core.errors import GraphError, ProjectFileError
from cnnstudio.core.groups import Ungroup
from cnnstudio.core.project import graph_structure, graph_to_dict, load_project
from cnnstudio.core.shipped import examples_dir


def test_expanded_groups_round_trip_through_save_and_load(tmp_path: Path) -> None:
    project = load_project(examples_dir() / "resnet_small.cnnstudio")
    before = graph_structure(graph_to_dict(project.graph))
    project.graph.set_expanded("block2", True)
    assert graph_structure(graph_to_dict(project.graph)) == before  # not the network's structure
    assert project.graph.copy().node("block2").expanded
    project.save(tmp_path / "grouped.cnnstudio")
    again = load_project(tmp_path / "grouped.cnnstudio")
    assert [n.id for n in again.graph if n.expanded] == ["block2"]
    assert again.to_json() == project.to_json()

    # undoing an ungroup brings the group back as it was shown
    ungroup = Ungroup("block2")
    ungroup.do(again.graph)
    ungroup.undo(again.graph)
    assert again.graph.node("block2").expanded


def test_only_groups_expand(tmp_path: Path) -> None:
    project = load_project(examples_dir() / "resnet_small.cnnstudio")
    with pytest.raises(GraphError, match="only groups expand"):
        project.graph.set_expanded("stem", True)
    doc = project.to_dict()
    doc["graph"]["nodes"][1]["expanded"] = True  # the stem Conv2d
    path = tmp_path / "bad.cnnstudio"
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectFileError, match=r"nodes\[1\]\.expanded.*only a Group node expands"):
        load_project(path)
    doc["graph"]["nodes"][1].pop("expanded")
    group = next(i for i, n in enumerate(doc["graph"]["nodes"]) if n["type"] == "Group")
    doc["graph"]["nodes"][group]["expanded"] = "yes"
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectFileError, match="true or false"):
        load_project(path)
