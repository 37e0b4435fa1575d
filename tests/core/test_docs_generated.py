"""docs/blocks.md and docs/project.schema.json are current, and the schema agrees with the loader.

jsonschema is not a dependency, so the schema is checked by a small validator for exactly the
draft 2020-12 keywords the generator uses; it refuses any other keyword, so the schema cannot
drift into constructs this test does not understand.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from bad_files import BAD_FILES, BadFile
from hypothesis import given, settings
from strategies import graphs

from cnnstudio.core.blocks import all_specs
from cnnstudio.core.graph import GraphModel
from cnnstudio.core.project import Project, parse_json

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
EXAMPLES = sorted((ROOT / "examples").glob("*.cnnstudio"))

ANNOTATIONS = {"$schema", "title", "description", "default", "$defs"}
ASSERTIONS = {
    "type",
    "const",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "maxLength",
    "pattern",
    "anyOf",
    "allOf",
    "if",
    "then",
    "$ref",
}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_blocks_table", DOCS / "gen_blocks_table.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
SCHEMA: dict[str, Any] = json.loads((DOCS / "project.schema.json").read_text(encoding="utf-8"))


def _resolve(ref: str) -> Any:
    assert ref.startswith("#/"), ref
    target: Any = SCHEMA
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``, as 'json.path: what'; empty if it conforms."""
    unknown = set(schema) - ANNOTATIONS - ASSERTIONS
    assert not unknown, f"schema at {path} uses keywords this test does not know: {unknown}"
    found: list[str] = []
    if "$ref" in schema:
        found += errors(value, _resolve(schema["$ref"]), path)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[n](value) for n in names):
            return [*found, f"{path}: expected {' or '.join(names)}, got {value!r:.40}"]
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        found.append(f"{path}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r:.40} is not one of the allowed values")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: above {schema['maximum']}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get(
            "maxItems", len(value)
        ):
            found.append(f"{path}: wrong number of items ({len(value)})")
        for i, item in enumerate(value):
            if "items" in schema:
                found += errors(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict):
        found += [f"{path}: missing {k!r}" for k in schema.get("required", []) if k not in value]
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                found += errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties", True) is False:
                found.append(f"{path}: unexpected key {key!r}")
    if "anyOf" in schema and all(errors(value, s, path) for s in schema["anyOf"]):
        found.append(f"{path}: matches none of the allowed forms")
    for sub in schema.get("allOf", []):
        found += errors(value, sub, path)
    if "if" in schema and not errors(value, schema["if"], path):
        found += errors(value, schema.get("then", {}), path)
    return found


def test_blocks_md_is_current() -> None:
    assert (DOCS / "blocks.md").read_text(encoding="utf-8") == GEN.blocks_markdown(), (
        "docs/blocks.md is stale: run python docs/gen_blocks_table.py"
    )


def test_schema_is_current() -> None:
    assert (DOCS / "project.schema.json").read_text(encoding="utf-8") == GEN.schema_text(), (
        "docs/project.schema.json is stale: run python docs/gen_blocks_table.py"
    )


def test_blocks_md_documents_every_block_and_parameter() -> None:
    text = (DOCS / "blocks.md").read_text(encoding="utf-8")
    for spec in all_specs():
        section = text.split(f"\n### {spec.type}\n", 1)[1].split("\n### ", 1)[0]
        assert spec.help in section
        for p in spec.params:
            assert f"| `{p.name}` |" in section


def test_schema_structure() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["properties"]["version"] == {"const": 2}
    assert "additionalProperties" not in SCHEMA, "unknown top-level keys must stay allowed"
    defs = SCHEMA["$defs"]
    specs = all_specs()
    assert defs["node"]["properties"]["type"]["enum"] == [*(s.type for s in specs), "Group"]
    assert len(defs["node"]["allOf"]) == len(specs) + 1  # and a Group names its definition
    for spec in specs:
        params = defs[f"{spec.type}_params"]
        assert list(params["properties"]) == [p.name for p in spec.params]
        assert params["additionalProperties"] is False
        for p in spec.params:
            assert errors(p.default, params["properties"][p.name]) == []
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(SCHEMA))
    assert refs
    for ref in refs:
        _resolve(ref)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_conform_to_the_schema(path: Path) -> None:
    assert errors(json.loads(path.read_text(encoding="utf-8")), SCHEMA) == []


@settings(max_examples=30, deadline=None, database=None)
@given(graphs())
def test_saved_random_graphs_conform_to_the_schema(graph: GraphModel) -> None:
    doc = Project("random", graph, training={"epochs": 1}, extra={"x-tool": [1]}).to_dict()
    assert errors(doc, SCHEMA) == []


# Faults only the loader can see: they need the whole graph (ids, ports, cycles) or are not JSON.
GRAPH_LEVEL = {
    "duplicate node id",
    "dangling edge",
    "port taken twice",
    "edge out of the Output",
    "cycle",
}


def _json_cases() -> list[BadFile]:
    return [c for c in BAD_FILES if c.name not in GRAPH_LEVEL and c.json_path]


@pytest.mark.parametrize("case", _json_cases(), ids=str)
def test_the_schema_refuses_what_the_loader_refuses(case: BadFile, tmp_path: Path) -> None:
    doc = parse_json(case.make(tmp_path).read_text(encoding="utf-8"), "bad")
    assert errors(doc, SCHEMA), f"the schema accepts a file the loader refuses: {case.name}"


def test_the_validator_reports_where() -> None:
    doc = {
        "format": "cnnstudio",
        "version": 2,
        "graph": {"nodes": [{"id": "c", "type": "Conv2d", "params": {"stride": 0}}]},
    }
    assert errors(doc, SCHEMA) == [
        "$.graph.nodes[0].params.stride: matches none of the allowed forms"
    ]
