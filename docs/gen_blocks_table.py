"""Writes docs/blocks.md and docs/project.schema.json from the block specs.

The specs are the single source of truth; these files are generated so that other tools can
read them, and a test fails when they are stale. Run after changing a block:
``python docs/gen_blocks_table.py``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cnnstudio.core.blocks import CATEGORIES, BlockSpec, Lowering, all_specs
from cnnstudio.core.graph import (
    DEFINITION_NAME_PATTERN,
    GROUP,
    MAX_NODE_ID_LENGTH,
    MAX_REPEAT,
    NODE_ID_PATTERN,
)
from cnnstudio.core.params import Param
from cnnstudio.core.project import FORMAT, SECTIONS, VERSION, pretty_json

DOCS = Path(__file__).parent
BLOCKS_MD = DOCS / "blocks.md"
SCHEMA_JSON = DOCS / "project.schema.json"
MAX_PORT = 1023
MAX_SHAPE_SIZE = 1_000_000

KIND_TEXT = {
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "choice": "text",
    "pair": "integer or [h, w]",
    "padding": "integer, [h, w] or text",
    "pad4": "integer or [left, right, top, bottom]",
    "shape": "list of 1-3 sizes",
}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _allowed(p: Param) -> str:
    parts = []
    if p.minimum is not None and p.maximum is not None:
        parts.append(f"{_number(p.minimum)} to {_number(p.maximum)}")
    elif p.minimum is not None:
        parts.append(f">= {_number(p.minimum)}")
    elif p.maximum is not None:
        parts.append(f"<= {_number(p.maximum)}")
    if p.kind == "shape":
        parts.append(f"sizes 1 to {MAX_SHAPE_SIZE}")
    if p.choices:
        parts.append(", ".join(f"`{c}`" for c in p.choices))
    if p.kind == "bool":
        parts.append("`true`, `false`")
    if p.nullable:
        parts.append("`null`")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _ports(spec: BlockSpec) -> str:
    if spec.variadic:
        inputs = f"{spec.inputs} or more inputs (ports 0, 1, 2, ...)"
    else:
        inputs = {0: "no input", 1: "1 input"}.get(spec.inputs, f"{spec.inputs} inputs")
    outputs = "no output" if spec.outputs == 0 else "1 output"
    return f"{inputs[0].upper()}{inputs[1:]}, {outputs}"


def _lowering(spec: BlockSpec) -> str:
    """What the compiler makes of the block, as the spec says."""
    if spec.lowering is Lowering.INPUT:
        return "becomes the model's argument"
    if spec.lowering is Lowering.OUTPUT:
        return "becomes the model's return value"
    if spec.function is not None:
        how = "chained over the inputs" if spec.function.chain else "on the list of inputs"
        return f"calls `{spec.function.path}` {how}"
    return f"builds `{spec.torch_class}`"


def blocks_markdown() -> str:
    """Every block by category: help, ports, what it compiles to and a parameter table."""
    specs = all_specs()
    out = [
        "# Blocks",
        "",
        "Generated from the block specs by `docs/gen_blocks_table.py`; do not edit by hand.",
        "A node's `params` may give any of a block's parameters; the others take their default.",
        "",
    ]
    for category in CATEGORIES:
        members = [s for s in specs if s.category == category]
        if not members:
            continue
        out += [f"## {category}", ""]
        for spec in members:
            out += [
                f"### {spec.type}",
                "",
                spec.help,
                "",
                f"{_ports(spec)}; {_lowering(spec)}.",
                "",
            ]
            if not spec.params:
                out += ["No parameters.", ""]
                continue
            out += [
                "| Parameter | Type | Default | Allowed | Description |",
                "| --- | --- | --- | --- | --- |",
            ]
            for p in spec.params:
                row = (
                    f"`{p.name}`",
                    KIND_TEXT[p.kind],
                    f"`{json.dumps(p.default)}`",
                    _allowed(p),
                    _cell(p.help),
                )
                out.append("| " + " | ".join(row) + " |")
            out.append("")
    return "\n".join(out)


def _bounded(p: Param, json_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": json_type}
    if p.minimum is not None:
        schema["minimum"] = _number(p.minimum)
    if p.maximum is not None:
        schema["maximum"] = _number(p.maximum)
    return schema


def _int_list(item: dict[str, Any], length: int) -> dict[str, Any]:
    return {"type": "array", "items": item, "minItems": length, "maxItems": length}


def param_schema(p: Param) -> dict[str, Any]:
    """JSON Schema of one parameter, mirroring ``Param.validate``."""
    schema: dict[str, Any]
    if p.kind == "int":
        schema = _bounded(p, "integer")
    elif p.kind == "float":
        schema = _bounded(p, "number")
    elif p.kind == "bool":
        schema = {"type": "boolean"}
    elif p.kind == "choice":
        schema = {"enum": list(p.choices)}
    elif p.kind in ("pair", "padding", "pad4"):
        one = _bounded(p, "integer")
        options = [one, _int_list(one, 4 if p.kind == "pad4" else 2)]
        if p.kind == "padding":
            options.append({"enum": list(p.choices)})
        schema = {"anyOf": options}
    else:
        size = {"type": "integer", "minimum": 1, "maximum": MAX_SHAPE_SIZE}
        schema = {"type": "array", "items": size, "minItems": 1, "maxItems": 3}
    if p.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"description": p.help, "default": p.default, **schema}


def project_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a project file, format version ``VERSION``."""
    specs = all_specs()
    node_id = {"type": "string", "pattern": NODE_ID_PATTERN, "maxLength": MAX_NODE_ID_LENGTH}
    name = {"type": "string", "pattern": DEFINITION_NAME_PATTERN, "maxLength": 64}
    inner_graph = {
        "type": "object",
        "properties": {
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
        },
        "additionalProperties": False,
    }
    defs: dict[str, Any] = {
        "graph": {
            "type": "object",
            "properties": {
                "definitions": {
                    "description": "Group definitions; one used by another comes first.",
                    "type": "array",
                    "items": {"$ref": "#/$defs/definition"},
                },
                **inner_graph["properties"],
            },
            "additionalProperties": False,
        },
        "inner_graph": inner_graph,
        "definition": {
            "type": "object",
            "required": ["name", "inputs", "output", "graph"],
            "properties": {
                "name": {"description": "Class name of the group in exported code.", **name},
                "inputs": {
                    "description": "Input ports in order; each feeds one or more inner blocks.",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "targets"],
                        "properties": {
                            "name": {"type": "string"},
                            "targets": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["node"],
                                    "properties": {
                                        "node": node_id,
                                        "port": {"type": "integer", "minimum": 0, "default": 0},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "additionalProperties": False,
                    },
                },
                "output": {
                    "description": "The inner block whose tensor leaves the group.",
                    **node_id,
                },
                "params": {
                    "description": "Parameters set per instance, each bound to inner blocks' "
                    "parameters ('conv1.out_channels').",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "bind"],
                        "properties": {
                            "name": {"type": "string"},
                            "bind": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "pattern": r"^.+\.[A-Za-z_]+$"},
                            },
                        },
                        "additionalProperties": False,
                    },
                },
                "graph": {"$ref": "#/$defs/inner_graph"},
            },
            "additionalProperties": False,
        },
        "node": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": {"description": "Unique name, shown on the canvas.", **node_id},
                "type": {"enum": [*(s.type for s in specs), GROUP]},
                "definition": {"description": "The definition a Group instantiates.", **name},
                "repeat": {
                    "description": "How many times a Group runs in sequence.",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_REPEAT,
                    "default": 1,
                },
                "expanded": {
                    "description": "A Group shown with its inner blocks under it (layout only).",
                    "type": "boolean",
                    "default": False,
                },
                "params": {"type": "object"},
                "position": {
                    "description": "Canvas position [x, y].",
                    **_int_list({"type": "number"}, 2),
                },
            },
            "additionalProperties": False,
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": s.type}}, "required": ["type"]},
                    "then": {"properties": {"params": {"$ref": f"#/$defs/{s.type}_params"}}},
                }
                for s in specs
            ]
            + [
                {
                    "if": {"properties": {"type": {"const": GROUP}}, "required": ["type"]},
                    "then": {"required": ["definition"]},
                }
            ],
        },
        "edge": {
            "type": "object",
            "required": ["source", "target"],
            "properties": {
                "source": node_id,
                "target": node_id,
                "target_port": {"type": "integer", "minimum": 0, "maximum": MAX_PORT, "default": 0},
            },
            "additionalProperties": False,
        },
    }
    for s in specs:
        defs[f"{s.type}_params"] = {
            "type": "object",
            "properties": {p.name: param_schema(p) for p in s.params},
            "additionalProperties": False,
        }
    sections = {
        key: {
            "type": ["object", "null"],
            "description": f"See the '{key}' section of docs/file-format.md.",
        }
        for key in SECTIONS
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"cnnstudio project file, format version {VERSION}",
        "description": "Generated from the block specs by docs/gen_blocks_table.py. "
        "Other top-level keys are allowed and kept by cnnstudio when it saves.",
        "type": "object",
        "required": ["format", "version", "graph"],
        "properties": {
            "format": {"const": FORMAT},
            "version": {"const": VERSION},
            "name": {"type": "string", "default": "Untitled"},
            "graph": {"$ref": "#/$defs/graph"},
            **sections,
        },
        "$defs": defs,
    }


def schema_text() -> str:
    return pretty_json(project_schema()) + "\n"


def main() -> int:
    BLOCKS_MD.write_text(blocks_markdown(), encoding="utf-8")
    SCHEMA_JSON.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {BLOCKS_MD} and {SCHEMA_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
