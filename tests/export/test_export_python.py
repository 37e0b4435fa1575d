"""The ``python`` format: a standalone module that reads like hand-written PyTorch.

Each example's file runs in a fresh interpreter where cnnstudio cannot be imported, loads the
exported weights strictly, and must compute what the compiled model computes.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import safetensors.torch
import torch
import torch.fx as fx
from export_support import EXAMPLES, ExportCache, python, run, sample_input

from cnnstudio.core.analysis import analyze
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project
from cnnstudio.export import export_project
from cnnstudio.export.codegen import docstring_text, literal
from cnnstudio.export.python_code import ModelCode, model_code, python_file
from cnnstudio.torch_backend.compiler import NODE_IDS, compile_graph

DRIVER = '''\
"""Load exported modules by path (cnnstudio hidden) and run them on saved inputs."""
import importlib.util
import json
import sys

sys.modules["cnnstudio"] = None  # any "import cnnstudio" now raises ImportError
import safetensors.torch
import torch

for job in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location("exported_" + job["name"], job["code"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, job["class"])()
    model.load_state_dict(safetensors.torch.load_file(job["weights"]))
    model.eval()
    x = safetensors.torch.load_file(job["input"])["x"]
    with torch.no_grad():
        y = model(x)
    assert tuple(x.shape[1:]) == module.INPUT_SHAPE
    safetensors.torch.save_file({"y": y.contiguous()}, job["output"])
print("ran", len(json.loads(sys.argv[1])))
'''


@pytest.mark.slow
def test_every_example_runs_without_cnnstudio(exports: ExportCache, tmp_path: Path) -> None:
    jobs = []
    for example in EXAMPLES:
        exported = exports.get(example, "python")
        x = sample_input(exported.input_shape, batch=5)
        safetensors.torch.save_file({"x": x}, str(tmp_path / f"{example.stem}_in.safetensors"))
        jobs.append(
            {
                "name": example.stem,
                "code": str(exported.path),
                "class": _class_name(exported.path),
                "weights": str(exported.path.with_suffix(".safetensors")),
                "input": str(tmp_path / f"{example.stem}_in.safetensors"),
                "output": str(tmp_path / f"{example.stem}_out.safetensors"),
            }
        )
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    done = run(python(tmp_path / "driver.py", json.dumps(jobs)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for example, job in zip(EXAMPLES, jobs, strict=True):
        model = exports.get(example, "python").model
        x = safetensors.torch.load_file(job["input"])["x"]
        got = safetensors.torch.load_file(job["output"])["y"]
        with torch.no_grad():
            expected = model(x)
        assert (got - expected).abs().max().item() == 0.0, example.stem


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_weights_load_strictly_into_both_models(exports: ExportCache, example: Path) -> None:
    exported = exports.get(example, "python")
    tensors = safetensors.torch.load_file(str(exported.path.with_suffix(".safetensors")))
    compiled = compile_graph(exported.project.graph, seed=99)
    compiled.load_state_dict(tensors, strict=True)
    namespace: dict[str, object] = {}
    exec(compile(exported.path.read_text(), str(exported.path), "exec"), namespace)
    standalone = namespace[_class_name(exported.path)]()  # type: ignore[operator]
    standalone.load_state_dict(tensors, strict=True)
    assert list(standalone.state_dict()) == list(compiled.state_dict())


def test_code_reads_like_hand_written_pytorch(exports: ExportCache) -> None:
    resnet = exports.get(_example("resnet_small"), "python").path.read_text()
    inception = exports.get(_example("inception_small"), "python").path.read_text()
    lenet = exports.get(_example("lenet5"), "python").path.read_text()
    assert "class LeNet5(nn.Module):" in lenet
    assert "INPUT_SHAPE = (1, 28, 28)" in lenet
    assert (
        "self.conv1 = nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5, padding=2)" in lenet
    )
    assert "        x = self.conv1(x)\n        x = self.relu1(x)\n" in lenet
    assert "        x = bn2 + x  # block 'add'\n" in resnet  # a residual merge is a plain sum
    assert "torch.cat([b1x1_relu, b3x3_relu, b5x5_relu, x], dim=1)" in inception
    # One class per group definition, called with what differs between its uses.
    assert "class DownBlock(nn.Module):" in resnet
    assert "    def __init__(self, in_channels: int, channels: int = 32, stride: int = 2)" in resnet
    assert "        self.block3 = DownBlock(in_channels=32, channels=64)\n" in resnet
    assert "        self.inception1 = Inception(in_channels=32)\n" in inception
    for code in (resnet, inception, lenet):
        tree = ast.parse(code)
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        modules = {a.name for n in imports if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module for n in imports if isinstance(n, ast.ImportFrom)}
        assert modules == {"torch"}
        assert "fx" not in code


def test_progress_names_the_weights(exports: ExportCache) -> None:
    messages = exports.get(_example("lenet5"), "python").messages
    assert "weights: freshly initialised (seed 0)" in messages
    assert any(m.startswith("wrote ") and m.endswith("kB)") for m in messages)


@pytest.mark.slow
def test_names_and_text_cannot_inject_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Core refuses such ids; the generator must be safe even if one got through."""
    monkeypatch.setattr("cnnstudio.core.graph.validate_node_id", lambda _node_id: None)
    evil_id = 'x"); import os #'
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {"shape": [4]}))
    graph.add_node(Node(evil_id, "Linear", {"out_features": 3}))
    graph.add_node(Node("out", "Output"))
    graph.connect(Edge("input", evil_id))
    graph.connect(Edge(evil_id, "out"))
    evil_name = 'Net"""\nimport os; os.system("touch pwned") # \\ \'\'\' \x00 {name}'
    project = Project(evil_name, graph)
    target = tmp_path / "model.py"
    export_project(project, "python", target)
    code = target.read_text()
    tree = ast.parse(code)
    kinds = [type(n).__name__ for n in tree.body]
    assert kinds == ["Expr", "Import", "ImportFrom", "Assign", "ClassDef", "If"]
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "os" not in names
    assert evil_name in ast.get_docstring(tree, clean=False)  # type: ignore[operator]
    done = run(python(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "torch.Size([1, 3])"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py", "model.safetensors"]
    compiled = compile_graph(graph)
    namespace: dict[str, object] = {}
    exec(compile(code, "model.py", "exec"), namespace)
    cls = next(v for k, v in namespace.items() if isinstance(v, type) and k.startswith("Net"))
    cls().load_state_dict(compiled.state_dict(), strict=True)  # type: ignore[operator]


def test_the_training_script_cannot_be_injected_either(tmp_path: Path) -> None:
    project = load_project(EXAMPLES[[p.stem for p in EXAMPLES].index("lenet5")])
    project.name = 'LeNet"""\nimport os; os.system("touch pwned") #'
    target = tmp_path / 'train"""x.py'
    export_project(project, "script", target)
    tree = ast.parse(target.read_text())
    assert project.name in ast.get_docstring(tree, clean=False)  # type: ignore[operator]
    calls = [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    ]
    assert not [c for c in calls if c.func.attr == "system"]  # type: ignore[attr-defined]
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert "LeNetImportOsOsSystemTouchPwned" in classes


@pytest.mark.parametrize("stem", ["resnet_small", "inception_small"])
def test_the_class_walks_the_compiled_graph(stem: str) -> None:
    project = load_project(_example(stem))
    analysis = analyze(project.graph)
    model = compile_graph(project.graph, seed=5, analysis=analysis).eval()
    code = model_code(model, analysis, project.name)
    standalone = _instance(code, project.name)
    standalone.load_state_dict(model.state_dict(), strict=True)
    x = sample_input(code.input_shape, batch=3)
    with torch.no_grad():
        assert torch.equal(standalone(x), model(x))
    # One statement per block that is not the input (the Output's is the return).
    blocks = [n for n in model.graph.nodes if n.name in model.meta[NODE_IDS]]
    assert len(_forward_lines(code)) == len(blocks) - 1


def _odd_ids() -> GraphModel:
    """Ids that are not identifiers or clash with names the class uses, and a 3-input sum."""
    graph = GraphModel()
    graph.add_node(Node("input", "Input", {"shape": [4]}))
    graph.add_node(Node("lin-a", "Linear", {"out_features": 4}))
    graph.add_node(Node("x", "Linear", {"out_features": 4}))
    graph.add_node(Node("class", "Add"))
    graph.add_node(Node("training", "ReLU"))
    graph.add_node(Node("out", "Output"))
    graph.connect(Edge("input", "lin-a"))
    graph.connect(Edge("input", "x"))
    for port, source in enumerate(["lin-a", "x", "input"]):
        graph.connect(Edge(source, "class", port))
    graph.connect(Edge("class", "training"))
    graph.connect(Edge("training", "out"))
    return graph


def test_odd_node_ids_are_sanitised() -> None:
    graph = _odd_ids()
    analysis = analyze(graph)
    model = compile_graph(graph, seed=1, analysis=analysis).eval()
    code = model_code(model, analysis, "odd")
    assert (
        "self.lin_a = nn.Linear(in_features=4, out_features=4)  # block 'lin-a'"
        in code.class_source
    )
    assert "self.training_ = nn.ReLU()  # block 'training'" in code.class_source
    assert _forward_lines(code) == [
        "lin_a = self.lin_a(x)",
        "x_1 = self.x(x)",
        "x = lin_a + x_1 + x  # block 'class'",  # the partial sum is written inline
        "x = self.training_(x)",
        "return x  # block 'out'",
    ]
    standalone = _instance(code, "odd")
    standalone.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 4)
    with torch.no_grad():
        assert torch.equal(standalone(x), model(x))


def test_an_inline_sum_on_the_right_keeps_its_parentheses() -> None:
    graph = _odd_ids()
    analysis = analyze(graph)
    model = compile_graph(graph, seed=1, analysis=analysis).eval()
    total = next(n for n in model.graph.nodes if n.name == "class_")
    total.args = (total.args[1], total.args[0])
    model.recompile()
    code = model_code(model, analysis, "odd")
    assert "x = x + (lin_a + x_1)  # block 'class'" in _forward_lines(code)
    standalone = _instance(code, "odd")
    standalone.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 4)
    with torch.no_grad():
        assert torch.equal(standalone(x), model(x))


def test_only_torch_functions_are_written() -> None:
    """A function is written by its name only where that name is torch's own function."""
    project = load_project(_example("inception_small"))
    analysis = analyze(project.graph)
    model = compile_graph(project.graph, analysis=analysis)
    inception = model.get_submodule("inception1")
    assert isinstance(inception, fx.GraphModule)
    node = next(n for n in inception.graph.nodes if n.target is torch.cat)

    def cat(tensors: list[torch.Tensor], dim: int) -> torch.Tensor:
        return torch.cat(tensors, dim=dim)

    node.target = cat
    with pytest.raises(ValueError, match=r"cannot write .*cat.* as a torch function"):
        model_code(model, analysis, project.name)


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -0.5, 1e-05, "zeros", (1, 2), [3, [4, 5]], {"a": [1, None]}, 'q"""\\'],
)
def test_literals_read_back(value: object) -> None:
    expected = ast.literal_eval(literal(value))
    assert expected == _tuples(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), {1: 2}])
def test_literals_refuse_what_they_cannot_write(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        literal(value)


@pytest.mark.parametrize("text", ['a"""b', "line\nbreak", "back\\slash\\", "'\"'", "\x00\u2028"])
def test_docstring_text_stays_inside_the_docstring(text: str) -> None:
    source = f'"""before {docstring_text(text)} after"""\nx = 1  # {docstring_text(text)}\n'
    tree = ast.parse(source)
    assert len(tree.body) == 2
    assert text in ast.get_docstring(tree, clean=False)  # type: ignore[operator]
    assert len(source.splitlines()) == 2


def _tuples(value: object) -> object:
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return tuple(_tuples(v) for v in value)
    return value


def _instance(code: ModelCode, project_name: str) -> torch.nn.Module:
    namespace: dict[str, object] = {}
    exec(compile(python_file(code, project_name, None), "model.py", "exec"), namespace)
    module = namespace[code.class_name]()  # type: ignore[operator]
    assert isinstance(module, torch.nn.Module)
    return module.eval()


def _forward_lines(code: ModelCode) -> list[str]:
    forward = code.class_source.rsplit("def forward(", 1)[1].splitlines()[1:]
    return [line.strip() for line in forward if line.strip()]


def _class_name(path: Path) -> str:
    tree = ast.parse(path.read_text())  # the model's class comes after its groups' classes
    return [n.name for n in tree.body if isinstance(n, ast.ClassDef)][-1]


def _example(stem: str) -> Path:
    return next(p for p in EXAMPLES if p.stem == stem)
