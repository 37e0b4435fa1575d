"""Copy definitions out of cnnstudio's own modules into a standalone script.

The training script must run where cnnstudio is not installed, yet behave like the app: same
shapes generator, same split, same optimizer, schedule and loss. Rather than keep a second copy
of that code, the exporter copies the real source at export time. ``Embedder`` takes the names
a script needs from a module, adds every top-level definition of that module they use (so
unused code stays behind), hoists their imports, and checks that each name they import from
cnnstudio is itself embedded.
"""

from __future__ import annotations

import ast
import inspect
import sys
from types import ModuleType

_ALLOWED_ROOTS = {"numpy", "torch"}


class _Definition:
    """One top-level statement of a module: its source lines, the names it binds and reads.

    ``runtime_reads`` leaves out names used only in annotations, which the script (with
    ``from __future__ import annotations``) never evaluates.
    """

    def __init__(self, node: ast.stmt, lines: list[str]) -> None:
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        assert node.end_lineno is not None
        self.source = "\n".join(lines[first - 1 : node.end_lineno])
        self.binds = _bound_names(node)
        names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
        in_annotations = {
            id(n)
            for a in ast.walk(node)
            for annotation in _annotation_nodes(a)
            for n in ast.walk(annotation)
        }
        self.reads = {n.id for n in names}
        self.runtime_reads = {n.id for n in names if id(n) not in in_annotations}


class Embedder:
    """Collects definitions from several modules into one import block and one code block."""

    def __init__(self) -> None:
        self._imports: dict[str, str] = {}  # bound name -> import statement
        self._defined: dict[str, str] = {}  # name -> source of the statement binding it
        self._needed: dict[str, str] = {}  # name imported from cnnstudio -> where
        self._sections: list[tuple[str, list[str]]] = []

    def add(self, module: ModuleType, names: list[str], title: str) -> None:
        """Embed ``names`` from ``module`` and everything in ``module`` they depend on."""
        source = inspect.getsource(module)
        tree = ast.parse(source)
        lines = source.splitlines()
        definitions: list[_Definition] = []
        imported: dict[str, ast.Import | ast.ImportFrom] = {}
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for bound in _bound_names(node):
                    imported[bound] = node
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue
            elif not _is_docstring(node):
                definitions.append(_Definition(node, lines))
        by_name = {b: d for d in definitions for b in d.binds}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise RuntimeError(f"{module.__name__} defines no {missing[0]!r}")
        chosen: set[int] = set()
        stack = [by_name[n] for n in names]
        while stack:
            d = stack.pop()
            if id(d) in chosen:
                continue
            chosen.add(id(d))
            stack.extend(by_name[r] for r in d.reads if r in by_name and by_name[r] is not d)
        kept = [d for d in definitions if id(d) in chosen]
        for d in kept:
            for read in d.runtime_reads:
                if read in imported and read not in by_name:
                    self._use_import(read, imported[read], module)
            for bound in d.binds:
                previous = self._defined.get(bound)
                if previous is not None and previous != d.source:
                    raise RuntimeError(f"{bound!r} is defined differently in two embedded modules")
                self._defined[bound] = d.source
        self._sections.append((title, [d.source for d in kept]))

    def _use_import(self, name: str, node: ast.Import | ast.ImportFrom, module: ModuleType) -> None:
        if isinstance(node, ast.ImportFrom) and (node.level or _root(node.module) == "cnnstudio"):
            self._needed.setdefault(name, module.__name__)
            return
        roots = (
            [_root(a.name) for a in node.names]
            if isinstance(node, ast.Import)
            else [_root(node.module)]
        )
        for root in roots:
            if root not in _ALLOWED_ROOTS and root not in sys.stdlib_module_names:
                raise RuntimeError(
                    f"{module.__name__} imports {root!r}; a standalone script cannot"
                )
        alias = next(a for a in node.names if (a.asname or a.name.split(".")[0]) == name)
        if isinstance(node, ast.ImportFrom):
            statement = f"from {node.module} import {alias.name}" + (
                f" as {alias.asname}" if alias.asname else ""
            )
        else:
            statement = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
        previous = self._imports.get(name)
        if previous is not None and previous != statement:
            raise RuntimeError(f"{name!r} is imported differently in two embedded modules")
        self._imports[name] = statement

    def require(self, statement: str) -> None:
        """Import something the generated code around the embedded definitions uses."""
        node = ast.parse(statement).body[0]
        assert isinstance(node, (ast.Import, ast.ImportFrom)), statement
        for bound in _bound_names(node):
            self._use_import(bound, node, sys.modules[__name__])

    def imports(self) -> str:
        """The hoisted imports: the standard library, then numpy and torch; ``import`` before ``from``."""
        unresolved = sorted(set(self._needed) - set(self._defined))
        if unresolved:
            name = unresolved[0]
            raise RuntimeError(f"{self._needed[name]} needs {name!r}, which is not embedded")
        statements = set(self._imports.values())
        stdlib = sorted(s for s in statements if _statement_root(s) in sys.stdlib_module_names)
        others = sorted(statements - set(stdlib))
        groups = [sorted(g, key=lambda s: (s.startswith("from"), s)) for g in (stdlib, others)]
        return "\n\n".join("\n".join(g) for g in groups if g)

    def code(self) -> str:
        parts = []
        for title, sources in self._sections:
            parts.append(f"# ---- {title} " + "-" * max(4, 94 - len(title)))
            parts.extend(sources)
        return "\n\n\n".join(parts)

    @property
    def defined(self) -> set[str]:
        return set(self._defined)


def _statement_root(statement: str) -> str:
    return _root(statement.split()[1])


def _root(module: str | None) -> str:
    return (module or "").split(".")[0]


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name.split(".")[0]) for a in node.names}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _annotation_nodes(node: ast.AST) -> list[ast.expr]:
    """Annotation expressions directly attached to ``node`` (never evaluated in the script)."""
    found: list[ast.expr | None] = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        found.append(node.returns)
    elif isinstance(node, (ast.arg, ast.AnnAssign)):
        found.append(node.annotation)
    return [a for a in found if a is not None]


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
