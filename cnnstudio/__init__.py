"""cnnstudio: design convolutional networks by drag and drop, train them, watch them learn.

The top level is light: torch is imported only when ``compile_graph`` or ``train`` is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cnnstudio.core.analysis import Analysis, analyze
from cnnstudio.core.graph import Edge, GraphModel, Node
from cnnstudio.core.project import Project, load_project

if TYPE_CHECKING:
    from cnnstudio.torch_backend.compiler import compile_graph
    from cnnstudio.train.trainer import train

__version__ = "0.1.0"
__all__ = [
    "Analysis",
    "Edge",
    "GraphModel",
    "Node",
    "Project",
    "analyze",
    "compile_graph",
    "load_project",
    "train",
]


def __getattr__(name: str) -> Any:
    if name == "compile_graph":
        from cnnstudio.torch_backend.compiler import compile_graph

        return compile_graph
    if name == "train":
        # The cnnstudio.train package is callable (it shares the name, see its docstring).
        return importlib.import_module("cnnstudio.train")
    raise AttributeError(f"module 'cnnstudio' has no attribute {name!r}")
