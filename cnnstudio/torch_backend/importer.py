"""An ``nn.Module`` -> an editable graph with the module's own weights, through ``torch.fx``.

The module is traced at one input shape. Every ``call_module`` of a torch.nn class with a block
becomes that block, its params read from the instance; the functional idioms of hand-written
models (``+``, ``torch.cat``, ``torch.flatten``/``view(x.size(0), -1)``, ``F.relu``,
``F.max_pool2d``, ``F.dropout``...) become their blocks, with ids from their module paths
(``layer1.0.conv1`` -> ``layer1_0_conv1``); then submodules of user classes become groups
(``import_groups``) unless the import is flat. Anything else is refused
with every unsupported operation listed. The result is checked: the compiled graph, given the
module's weights, must compute what the module computes.

A file exported by cnnstudio names a block whose id is not its variable in a ``# block 'id'``
comment; the importer reads those back, so export -> import keeps every id.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import operator
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from cnnstudio.core.analysis import analyze
from cnnstudio.core.blocks import BlockSpec, all_specs, get_spec
from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.graph import Edge, GraphModel, Node, validate_node_id
from cnnstudio.core.layout import layered_layout
from cnnstudio.torch_backend.compiler import NODE_IDS, build_module, compile_graph, resolve
from cnnstudio.torch_backend.import_groups import Placed, Scope, Sources, group_scopes
from cnnstudio.torch_backend.module_source import ImportFailed
from cnnstudio.torch_backend.naming import fresh_name

INPUT_ID = "input"  # the Input block's id unless an exported file's comment names another
OUTPUT_ID = "output"
BLOCK_COMMENT = re.compile(r"#\s*block\s+(?P<id>'[^'\\]*'|\"[^\"\\]*\")\s*$")
TOLERANCE = 1e-5
_TORCH_DIR = os.path.dirname(torch.__file__)
_AUTOGRAD_FUNCTION = os.path.join(_TORCH_DIR, "autograd", "function.py")
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\n(?P<code>.*)')
_INPLACE = re.compile(r"(,\s*)?inplace=(True|False)")
_EQUAL_PAIR = re.compile(r"\((\d+), \1\)")

__all__ = ["INPUT_ID", "OUTPUT_ID", "ImportFailed", "ImportedModel", "import_module"]


@dataclass(frozen=True)
class ImportedModel:
    graph: GraphModel
    model: fx.GraphModule  # ``compile_graph(graph)`` holding the module's weights
    max_difference: float  # between the module and the compiled graph, eval mode


@dataclass
class _Block:
    type: str
    params: dict[str, Any]
    inputs: list[fx.Node]
    node: fx.Node
    id: str = ""
    module: nn.Module | None = None
    chain: tuple[str, ...] = ()  # the group scopes it runs in, outermost first
    names: tuple[str, ...] = ()  # its id within each of them: ``("layer1_0", "conv1")``


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, node: fx.Node, what: str) -> None:
        self.items.append(f"{what} {_where(node)}")


# ---- where a node comes from -----------------------------------------------------------------
def _user_frames(stack: str) -> list[tuple[str, int, str, str]]:
    return [
        (m["file"], int(m["line"]), m["func"], m["code"].strip())
        for m in _FRAME.finditer(stack or "")
        if not m["file"].startswith(_TORCH_DIR)
    ]


def _scope(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    paths = [str(v[0]) for v in stack.values()]
    if node.op == "call_module":
        paths = [p for p in paths if p != node.target]
    return paths[-1] if paths else ""


def _where(node: fx.Node) -> str:
    scope = _scope(node) if node.op != "call_module" else str(node.target)
    text = f"in {scope or 'the top module'}"
    frames = _user_frames(node.stack_trace or "")
    if frames:
        file, line, _, code = frames[-1]
        text += f" ({os.path.basename(file)}:{line}: {code})"
    caller = _autograd_caller(node.stack_trace or "")
    if caller:
        text += f", inside the custom autograd function called at {caller}"
    return text


def _autograd_caller(stack: str) -> str | None:
    """Where a ``torch.autograd.Function.apply`` that fx traced into was called, if any."""
    frames = list(_FRAME.finditer(stack))
    for i, frame in enumerate(frames):
        if frame["file"] == _AUTOGRAD_FUNCTION:
            callers = [f for f in frames[:i] if not f["file"].startswith(_TORCH_DIR)]
            if callers:
                last = callers[-1]
                return f"{os.path.basename(last['file'])}:{last['line']}: {last['code'].strip()}"
    return None


def _comment_id(file: str, line: int) -> str | None:
    match = BLOCK_COMMENT.search(linecache.getline(file, line))
    return str(ast.literal_eval(match["id"])) if match else None


def _declared_ids(root: nn.Module) -> tuple[dict[str, str], str | None, str | None]:
    """Ids that an exported file's comments give: per attribute, the input's and the output's."""
    lines: list[str] = []
    for method in (type(root).__init__, type(root).forward):
        try:  # the methods, not the class: a class's source is found through sys.modules
            lines += inspect.getsource(method).splitlines()
        except (OSError, TypeError):
            continue
    attrs, input_id, output_id = {}, None, None
    for text in lines:
        match = BLOCK_COMMENT.search(text)
        if match is None:
            continue
        value = str(ast.literal_eval(match["id"]))
        stripped = text.strip()
        attr = re.match(r"self\.(\w+)\s*=", stripped)
        if attr:
            attrs[attr[1]] = value
        elif stripped.startswith("def forward("):
            input_id = value
        elif stripped.startswith("return "):
            output_id = value
    return attrs, input_id, output_id


# ---- tracing ---------------------------------------------------------------------------------
def _trace(root: nn.Module) -> fx.GraphModule:
    tracer = fx.Tracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(root)
    except Exception as exc:
        raise ImportFailed(_trace_failure(root, exc)) from exc
    return fx.GraphModule(root, graph, class_name=type(root).__name__)


def _trace_failure(root: nn.Module, exc: Exception) -> str:
    paths = {id(m): p for p, m in root.named_modules()}
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if not frame.f_code.co_filename.startswith(_TORCH_DIR):
            owner = frame.f_locals.get("self")
            path = paths.get(id(owner), "")
            code = (linecache.getline(frame.f_code.co_filename, tb.tb_lineno) or "").strip()
            where = (
                f" in {path or 'the top module'} "
                f"({os.path.basename(frame.f_code.co_filename)}:{tb.tb_lineno}: {code})"
            )
        tb = tb.tb_next
    if isinstance(exc, fx.proxy.TraceError) and "control flow" in str(exc):
        what = "data-dependent control flow"
        why = "torch.fx follows one path through forward, so a branch on a tensor's values has no graph"
    else:
        what, why = "an operation torch.fx cannot trace", f"{type(exc).__name__}: {exc}"
    return f"cannot import {type(root).__name__}: {what}{where}: {why}"


# ---- mapping nodes to blocks -----------------------------------------------------------------
_MODULE_SPECS: dict[type, BlockSpec] = {
    resolve(s.torch_class): s for s in all_specs() if s.torch_class is not None
}
_ACTIVATIONS: dict[Any, tuple[str, tuple[str, ...]]] = {
    torch.relu: ("ReLU", ()),
    torch.relu_: ("ReLU", ()),
    F.relu: ("ReLU", ()),
    F.relu6: ("ReLU6", ()),
    F.leaky_relu: ("LeakyReLU", ("negative_slope",)),
    F.elu: ("ELU", ("alpha",)),
    F.gelu: ("GELU", ("approximate",)),
    F.silu: ("SiLU", ()),
    F.mish: ("Mish", ()),
    F.hardswish: ("Hardswish", ()),
    torch.sigmoid: ("Sigmoid", ()),
    F.sigmoid: ("Sigmoid", ()),
    torch.tanh: ("Tanh", ()),
    F.tanh: ("Tanh", ()),
    torch.softmax: ("Softmax", ("dim",)),
    F.softmax: ("Softmax", ("dim",)),
    torch.log_softmax: ("LogSoftmax", ("dim",)),
    F.log_softmax: ("LogSoftmax", ("dim",)),
}
_METHOD_ACTIVATIONS = {
    "relu": "ReLU",
    "relu_": "ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
}
_FUNCTIONAL: dict[Any, str] = {
    F.max_pool2d: "MaxPool2d",
    F.avg_pool2d: "AvgPool2d",
    F.adaptive_avg_pool2d: "AdaptiveAvgPool2d",
    F.adaptive_max_pool2d: "AdaptiveMaxPool2d",
    F.dropout: "Dropout",
    F.dropout2d: "Dropout2d",
}
_ADDS = {operator.add, operator.iadd, torch.add}
_CATS = {torch.cat, torch.concat, torch.concatenate}
_SHAPE_QUERIES = {"size", "dim"}


def _canon(param_kind: str, value: Any) -> Any:
    """A module attribute as a block param: tuples as lists, equal pairs as one int."""
    if isinstance(value, tuple):
        value = list(value)
    pair = isinstance(value, list) and param_kind in ("pair", "padding", "pad4") and value
    if pair and isinstance(value[0], int) and all(v == value[0] for v in value):
        return value[0]
    return value


def _module_params(spec: BlockSpec, module: nn.Module) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in spec.params:
        if p.name == "bias":  # a bool in the block, a tensor or None in torch
            value: Any = getattr(module, "bias", None) is not None
        else:
            value = _canon(p.kind, getattr(module, p.name))
        out[p.name] = value
    if "stride" in out and spec.param("stride").nullable and out["stride"] == out["kernel_size"]:
        out["stride"] = None  # torch stores a missing stride as the kernel size
    return {k: v for k, v in out.items() if v != spec.param(k).default}


class _Mapper:
    def __init__(self, gm: fx.GraphModule, training: bool) -> None:
        self.gm, self.training = gm, training
        self.problems = _Problems()
        self.blocks: dict[fx.Node, _Block] = {}
        self.queries: set[fx.Node] = set()

    def run(self) -> None:
        calls = Counter(n.target for n in self.gm.graph.nodes if n.op == "call_module")
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            names = ", ".join(n.name for n in placeholders)
            self.problems.items.append(
                f"forward takes {len(placeholders)} inputs ({names}); one is supported"
            )
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                self.blocks[node] = _Block("Input", {}, [], node)
            elif node.op == "output":
                value = node.args[0]
                if not isinstance(value, fx.Node):
                    self.problems.add(
                        node, f"returning {type(value).__name__} (one tensor is supported)"
                    )
                    continue
                self.blocks[node] = _Block("Output", {}, [value], node)
            elif node.op == "call_module":
                self._module(node, calls[node.target])
            elif node.op == "get_attr":
                self.problems.add(node, f"reading the parameter or buffer {node.target}")
            else:
                self._call(node)

    def _module(self, node: fx.Node, calls: int) -> None:
        module = self.gm.get_submodule(str(node.target))
        spec = _MODULE_SPECS.get(type(module))
        kind = f"{type(module).__module__.replace('torch.nn.modules.', 'nn.').split('.')[0]}.{type(module).__name__}"
        if spec is None:
            self.problems.add(node, f"{kind} (no block for this module)")
            return
        if calls > 1 and any(True for _ in module.state_dict()):
            self.problems.add(node, f"{kind} called {calls} times (blocks cannot share weights)")
            return
        if len(node.args) != 1 or node.kwargs or not isinstance(node.args[0], fx.Node):
            self.problems.add(node, f"{kind} called with more than one tensor argument")
            return
        self.blocks[node] = _Block(
            spec.type, _module_params(spec, module), [node.args[0]], node, module=module
        )

    def _call(self, node: fx.Node) -> None:
        if node.op == "call_method" and node.target in _SHAPE_QUERIES:
            self.queries.add(node)
            return
        if node.target is getattr and node.args[1] == "shape":
            self.queries.add(node)
            return
        if node.target is operator.getitem and node.args[0] in self.queries:
            self.queries.add(node)
            return
        mapped = self._function(node) if node.op == "call_function" else self._method(node)
        if mapped is None:
            target = node.target if node.op == "call_method" else _function_name(node.target)
            verb = "method ." if node.op == "call_method" else "function "
            self.problems.add(node, f"{verb}{target}")
        else:
            self.blocks[node] = mapped

    def _arguments(self, node: fx.Node) -> dict[str, Any] | None:
        normalized = node.normalized_arguments(self.gm, normalize_to_only_use_kwargs=True)
        return None if normalized is None else dict(normalized.kwargs)

    def _function(self, node: fx.Node) -> _Block | None:
        target = node.target
        if target in _ADDS:
            a, b = node.args[0], node.args[1]
            extra = {k: v for k, v in node.kwargs.items() if not (k == "alpha" and v == 1)}
            if (
                not isinstance(a, fx.Node)
                or not isinstance(b, fx.Node)
                or extra
                or len(node.args) > 2
            ):
                return None
            return _Block("Add", {}, [a, b], node)
        if target in _CATS:
            kw = self._arguments(node)
            tensors = (kw or {}).get("tensors")
            if kw is None or not all(isinstance(t, fx.Node) for t in tensors or [None]):
                return None
            return _Block("Concat", _nondefault("Concat", dim=kw["dim"]), list(tensors or ()), node)
        if target is torch.flatten:
            kw = self._arguments(node)
            if kw is None:
                return None
            p = {"start_dim": kw.get("start_dim", 0), "end_dim": kw.get("end_dim", -1)}
            return _Block("Flatten", _nondefault("Flatten", **p), [kw["input"]], node)
        if target is torch.reshape:
            return self._reshape(node, node.args[0], list(cast(Sequence[Any], node.args[1])))
        kw = self._arguments(node)
        if kw is None or not isinstance(kw.get("input"), fx.Node):
            return None
        source = kw.pop("input")
        kw.pop("inplace", None)
        if target in _ACTIVATIONS:
            block, names = _ACTIVATIONS[target]
            if kw.get("dtype") is not None or kw.get("dim", 0) is None:
                return None
            return _Block(
                block, _nondefault(block, **{n: kw[n] for n in names if n in kw}), [source], node
            )
        pool = _FUNCTIONAL.get(target)
        if pool in ("MaxPool2d", "AvgPool2d"):
            if kw.pop("return_indices", False) or kw.pop("divisor_override", None) is not None:
                return None
            if kw.get("stride") in ([], None) or _canon("pair", kw["stride"]) == _canon(
                "pair", kw["kernel_size"]
            ):
                kw["stride"] = None  # torch's default: the kernel size
            spec = get_spec(pool)
            params = {k: _canon(spec.param(k).kind, v) for k, v in kw.items()}
            return _Block(pool, _nondefault(pool, **params), [source], node)
        if pool in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
            if kw.pop("return_indices", False):
                return None
            size = _canon("pair", kw["output_size"])
            return _Block(pool, _nondefault(pool, output_size=size), [source], node)
        if pool in ("Dropout", "Dropout2d"):
            if kw.get("training", True) != self.training:
                return None  # dropout that ignores train/eval mode has no block
            return _Block(pool, _nondefault(pool, p=float(kw["p"])), [source], node)
        return None

    def _method(self, node: fx.Node) -> _Block | None:
        target, args = str(node.target), list(node.args)
        if target in _METHOD_ACTIVATIONS:
            block = _METHOD_ACTIVATIONS[target]
            names = ("dim",) if "softmax" in target else ()
            if len(args) > 1 + len(names) or set(node.kwargs) - set(names):
                return None
            params = dict(zip(names, args[1:], strict=False)) | dict(node.kwargs)
            if names and params.get("dim") is None:
                return None
            return _Block(block, _nondefault(block, **params), [cast(fx.Node, args[0])], node)
        if target == "add" and len(args) == 2 and isinstance(args[1], fx.Node) and not node.kwargs:
            return _Block("Add", {}, [cast(fx.Node, a) for a in args], node)
        if target == "flatten":
            dims = ("start_dim", "end_dim")
            p = {"start_dim": 0, "end_dim": -1} | dict(zip(dims, args[1:], strict=False))
            p |= dict(node.kwargs)
            return _Block("Flatten", _nondefault("Flatten", **p), [cast(fx.Node, args[0])], node)
        if target in ("view", "reshape"):
            shape = args[1] if len(args) == 2 and isinstance(args[1], (list, tuple)) else args[1:]
            return self._reshape(node, args[0], list(shape))
        return None

    def _reshape(self, node: fx.Node, source: Any, shape: list[Any]) -> _Block | None:
        """``view``/``reshape`` to ``[batch, -1]`` (or ``[-1, features]``) is a Flatten."""
        before = source.meta.get("tensor_meta") if isinstance(source, fx.Node) else None
        after = node.meta.get("tensor_meta")
        if before is None or after is None or len(shape) != 2:
            return None
        batch, per_sample = before.shape[0], int(torch.tensor(before.shape[1:]).prod())
        first_ok = shape[0] == -1 or (isinstance(shape[0], fx.Node) and shape[0] in self.queries)
        if not first_ok or tuple(after.shape) != (batch, per_sample):
            return None
        if shape[0] == -1 and shape[1] != per_sample:
            return None
        return _Block("Flatten", {}, [source], node)


def _nondefault(block: str, **params: Any) -> dict[str, Any]:
    spec = get_spec(block)
    return {k: v for k, v in params.items() if v != spec.param(k).default}


def _function_name(target: Any) -> str:
    name = getattr(target, "__name__", repr(target))
    module = getattr(target, "__module__", None) or ""
    if target in _ADDS or module == "_operator":
        return f"operator.{name}"
    if module.startswith("torch.nn.functional") or (
        name.startswith("_") and module.startswith("torch.nn")
    ):
        return f"F.{name.lstrip('_')}"
    if module.startswith("torch") or getattr(torch, name, None) is target:
        return f"torch.{name}"
    return f"{module}.{name}" if module else name


# ---- the graph -------------------------------------------------------------------------------
def _merge_sums(blocks: dict[fx.Node, _Block]) -> None:
    """``a + b + c`` written in one statement is one Add block with three inputs."""
    for node, block in list(blocks.items()):
        if block.type != "Add":
            continue
        left = block.inputs[0]
        inner = blocks.get(left)
        if inner is None or inner.type != "Add" or len(left.users) != 1:
            continue
        here, there = _user_frames(node.stack_trace or ""), _user_frames(left.stack_trace or "")
        if here and there and here[-1][:2] == there[-1][:2]:
            block.inputs = inner.inputs + block.inputs[1:]
            del blocks[left]


def _stack(node: fx.Node) -> list[tuple[str, str]]:
    """The modules a node runs inside, outermost first, as ``(stack key, module path)``; a
    module called twice has a second key (``relu@1``)."""
    stack = node.meta.get("nn_module_stack") or {}
    pairs = [(str(k), str(v[0])) for k, v in stack.items()]
    return [(k, p) for k, p in pairs if not (node.op == "call_module" and p == node.target)]


def _module_scopes(root: nn.Module, blocks: dict[fx.Node, _Block]) -> list[Scope]:
    """Submodules that may become groups (user classes called once) or repeats (Sequentials of
    them), each with its name relative to the group scopes around it; fills ``block.chain``."""
    keys: dict[str, set[str]] = {}
    stacks = {node: _stack(node) for node in blocks}
    for stack in stacks.values():
        for key, path in stack:
            keys.setdefault(path, set()).add(key)
    groups: dict[str, str] = {}  # key -> path
    sequentials: dict[str, tuple[str, list[str]]] = {}  # key -> (path, enclosing group keys)
    for stack in stacks.values():
        for i, (key, path) in enumerate(stack):
            module = root.get_submodule(path)
            if len(keys[path]) != 1:
                continue  # called more than once: its blocks stay in the caller
            if not type(module).__module__.startswith("torch."):
                groups[key] = path
            elif type(module) is nn.Sequential:
                sequentials[key] = (path, [k for k, _ in stack[:i]])
    for node, block in blocks.items():
        block.chain = tuple(k for k, _ in stacks[node] if k in groups)
    scopes: list[Scope] = []
    named: dict[str, tuple[str, ...]] = {}

    def names(path: str, enclosing: list[str]) -> tuple[str, ...]:
        outer = [k for k in enclosing if k in groups]
        parent = groups[outer[-1]] if outer else ""
        relative = path[len(parent) + 1 :] if parent else path
        attrs = _declared_ids(root.get_submodule(parent))[0]
        return (
            *(named[outer[-1]] if outer else ()),
            attrs.get(relative, relative.replace(".", "_")),
        )

    for stack in stacks.values():
        for i, (key, path) in enumerate(stack):
            if key in groups and key not in named:
                named[key] = names(path, [k for k, _ in stack[:i]])
                scopes.append(
                    Scope(key, path, root.get_submodule(path), path.count(".") + 1, named[key])
                )
    by_path = {path: key for key, path in groups.items()}
    for key, (path, enclosing) in sequentials.items():
        children = [
            by_path.get(f"{path}.{c}") for c, _ in root.get_submodule(path).named_children()
        ]
        if len(children) > 1 and all(c in named for c in children):
            scopes.append(
                Scope(
                    key,
                    path,
                    root.get_submodule(path),
                    path.count(".") + 1,
                    names(path, enclosing),
                    tuple(c for c in children if c is not None),
                )
            )
    return scopes


def _assign_ids(root: nn.Module, blocks: dict[fx.Node, _Block], scopes: list[Scope]) -> None:
    """Ids unique within each group scope (``conv1`` in ``layer1.0``); a block's flat id joins
    the scopes' names (``layer1_0_conv1``), as a flat import names it."""
    paths = {s.key: s.path for s in scopes if not s.children}
    modules = {s.key: s.module for s in scopes if not s.children}
    prefixes = {s.key: s.names for s in scopes if not s.children}
    declared = {key: _declared_ids(m)[0] for key, m in modules.items()}
    attrs, input_id, output_id = _declared_ids(root)
    declared[""] = attrs
    used: dict[str, set[str]] = {}
    later: list[_Block] = []
    for block in blocks.values():
        node = block.node
        scope = block.chain[-1] if block.chain else ""
        within = paths.get(scope, "")
        wanted: str | None = None
        if node.op == "call_module":
            target = str(node.target)[len(within) + 1 :] if within else str(node.target)
            wanted = declared[scope].get(target, target.replace(".", "_"))
        elif node.op == "placeholder":
            wanted = input_id or INPUT_ID
        elif node.op == "output":
            wanted = output_id or OUTPUT_ID
        else:
            frames = _user_frames(node.stack_trace or "")
            wanted = _comment_id(*frames[-1][:2]) if frames else None
        taken = used.setdefault(scope, set())
        if wanted is None or wanted in taken or not _valid_id(wanted):
            later.append(block)
            continue
        block.names = (*prefixes.get(scope, ()), wanted)
        taken.add(wanted)
    for block in later:
        base = re.sub(r"[123]d$", "", block.type.lower())
        scope = block.chain[-1] if block.chain else ""
        within = paths.get(scope, "")
        where = _scope(block.node)
        where = (where[len(within) + 1 :] if within else where).replace(".", "_")
        local = fresh_name(f"{where}_{base}" if where else base, used.setdefault(scope, set()))
        block.names = (*prefixes.get(scope, ()), local)
    flat: set[str] = set()
    for block in blocks.values():
        wanted = "_".join(block.names)
        block.id = fresh_name(wanted if _valid_id(wanted) else block.names[-1], flat)


def _valid_id(text: str) -> bool:
    try:
        validate_node_id(text)
    except CnnStudioError:
        return False
    return True


def _input_shape(gm: fx.GraphModule, given: tuple[int, ...] | None) -> tuple[int, ...]:
    if given is not None:
        return given
    for node in gm.graph.nodes:
        if node.op == "call_module":
            first = gm.get_submodule(str(node.target))
            if isinstance(first, nn.Linear):
                return (first.in_features,)
            raise ImportFailed(
                f"the input shape is needed: {type(first).__name__} {node.target}, the first "
                "layer, does not tell it; give it as C,H,W (--input-shape)"
            )
    raise ImportFailed("the input shape is needed; give it as C,H,W (--input-shape)")


def import_module(
    module: nn.Module,
    input_shape: tuple[int, ...] | None = None,
    seed: int = 0,
    flat: bool = False,
) -> ImportedModel:
    """Trace ``module`` and turn it into a graph with its weights; raises ImportFailed.

    Submodules of user classes become groups (see ``import_groups``) unless ``flat``.
    """
    name = type(module).__name__
    gm = _trace(module)
    shape = _input_shape(gm, input_shape)
    modes = {m: m.training for m in module.modules()}
    sample = torch.randn(2, *shape, generator=torch.Generator().manual_seed(seed))
    try:
        module.eval()
        with torch.no_grad():
            ShapeProp(gm).propagate(sample)
    except Exception as exc:
        raise ImportFailed(
            f"cannot import {name}: it fails on an input of shape {list(shape)} "
            f"({type(exc).__name__}: {exc}); check the input shape"
        ) from exc
    finally:
        for m, mode in modes.items():
            m.train(mode)
    mapper = _Mapper(gm, module.training)
    mapper.run()
    if mapper.problems.items:
        count = len(mapper.problems.items)
        listing = "\n".join(f"  - {p}" for p in mapper.problems.items)
        raise ImportFailed(
            f"cannot import {name}: {count} operation{'s' * (count != 1)} "
            f"{'have' if count != 1 else 'has'} no block:\n{listing}"
        )
    blocks = mapper.blocks
    _merge_sums(blocks)
    scopes = [] if flat else _module_scopes(module, blocks)
    _assign_ids(module, blocks, scopes)
    graph = _build_graph(blocks, mapper.queries, shape)
    _check_modules(graph, blocks, name)
    sources: Sources = {b.id: b.module for b in blocks.values()}
    if scopes:
        placed = {b.id: Placed(b.chain, b.names) for b in blocks.values()}
        shapes = {
            b.id: tuple(b.node.meta["tensor_meta"].shape)
            for b in blocks.values()
            if isinstance(b.node.meta.get("tensor_meta"), TensorMetadata)
        }
        sources = group_scopes(graph, placed, scopes, sources, shapes)
        result = analyze(graph)
        if not result.valid:
            raise ImportFailed(
                f"cannot import {name} with its submodules as groups ("
                + "; ".join(i.message for i in result.errors)
                + "); import it flat (--flat) and please report this"
            )
    model = compile_graph(graph, seed=seed, name=name)
    _copy_weights(model, sources)
    return ImportedModel(graph, model, _compare(module, model, sample, name))


def _build_graph(
    blocks: dict[fx.Node, _Block], queries: set[fx.Node], shape: tuple[int, ...]
) -> GraphModel:
    graph = GraphModel()
    for block in blocks.values():
        params = {"shape": list(shape)} if block.type == "Input" else block.params
        try:
            graph.add_node(Node(block.id, block.type, params))
        except CnnStudioError as exc:
            raise ImportFailed(f"{exc} {_where(block.node)}") from None
    for block in blocks.values():
        for port, source in enumerate(block.inputs):
            graph.connect(Edge(blocks[source].id, block.id, port))
    for node_id, position in layered_layout(graph).items():
        graph.node(node_id).position = position
    result = analyze(graph)
    if not result.valid:
        raise ImportFailed(
            "the imported graph is not valid: " + "; ".join(i.message for i in result.errors)
        )
    return graph


def _check_modules(graph: GraphModel, blocks: dict[fx.Node, _Block], name: str) -> None:
    """Every constructor argument must carry over: the rebuilt module prints like the original."""
    result = analyze(graph)
    for block in blocks.values():
        if block.module is None:
            continue
        spec = get_spec(block.type)
        assert spec.torch_class is not None
        rebuilt = build_module(spec.torch_class, result.nodes[block.id].kwargs)
        theirs = _EQUAL_PAIR.sub(r"\1", _INPLACE.sub("", block.module.extra_repr()))
        ours = _EQUAL_PAIR.sub(r"\1", _INPLACE.sub("", rebuilt.extra_repr()))
        if theirs != ours:
            raise ImportFailed(
                f"cannot import {name}: {type(block.module).__name__}({theirs}) "
                f"{_where(block.node)} has arguments the {block.type} block cannot hold "
                f"(it would be {type(rebuilt).__name__}({ours}))"
            )


def _copy_weights(model: nn.Module, sources: Sources) -> None:
    """Each block's weights from its source module; a group's from its own mapping, per
    repetition (a repeated group is an ``nn.Sequential`` of the definition's modules)."""
    assert isinstance(model, fx.GraphModule)
    ids: dict[str, str] = model.meta[NODE_IDS]
    for node in model.graph.nodes:
        if node.op != "call_module":
            continue
        target = model.get_submodule(str(node.target))
        source = sources[ids[node.name]]
        if isinstance(source, list):
            copies = list(target) if isinstance(target, nn.Sequential) else [target]
            for copy, inner in zip(copies, source, strict=True):
                _copy_weights(copy, inner)
        elif source is not None:  # a functional idiom (F.relu) has no weights
            target.load_state_dict(source.state_dict())


def _compare(module: nn.Module, model: fx.GraphModule, sample: torch.Tensor, name: str) -> float:
    modes = {m: m.training for m in module.modules()}
    try:
        module.eval()
        model.eval()
        with torch.no_grad():
            difference = float((module(sample) - model(sample)).abs().max())
    finally:
        for m, mode in modes.items():
            m.train(mode)
    model.train(module.training)
    if not difference <= TOLERANCE:
        raise ImportFailed(
            f"cannot import {name}: the imported graph computes something else (largest "
            f"difference {difference:.3g} on a random input); please report this"
        )
    return difference
