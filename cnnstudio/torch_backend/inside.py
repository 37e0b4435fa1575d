"""What happens inside the groups of a compiled model, named as analysis names it.

A group compiles to a nested ``GraphModule`` (an ``nn.Sequential`` of them when it repeats), so
the top-level feature extractor sees only the group's output. ``InsideGroups`` finds every
block inside, by its analysis path (``layer1.0/conv1``: the instance, the repetition when it
repeats, the inner block) and by its module's qualified name (``layer1.0.conv1``), and runs each
repetition's own feature extractor on the tensors that reach it, so a probe or the preview can
show an inner block like any other. Nothing is hooked into the model's own forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.fx as fx

from cnnstudio.torch_backend.compiler import DEFINITION, NODE_IDS, feature_extractor


@dataclass(frozen=True)
class _Copy:
    """One repetition of a group: its extractor and what its inner fx names stand for."""

    path: str  # "layer1.0" (or "layer1" for a group that does not repeat)
    extractor: fx.GraphModule
    placeholders: tuple[str, ...]
    ids: dict[str, str]  # fx node name -> inner node id
    output: str  # the inner node id whose tensor leaves the group
    groups: tuple[_Instance, ...]


@dataclass(frozen=True)
class _Instance:
    """A group node of some graph: the fx names of its arguments there, and its repetitions."""

    inputs: tuple[str, ...]
    copies: tuple[_Copy, ...]


class InsideGroups:
    """``modules``: path -> qualified module name of every block that is a module
    (convolutions, norms...), in network order, those inside groups where their group is, a
    top-level block under its id; ``owner``: inner path -> the top-level group it is inside."""

    def __init__(self, model: fx.GraphModule) -> None:
        self.modules: dict[str, str] = {}
        self.owner: dict[str, str] = {}
        self._groups = self._find(model, "", "", "")

    @property
    def any(self) -> bool:
        """Whether the model has groups at all (else ``activations`` finds nothing)."""
        return bool(self._groups)

    def _find(
        self, module: fx.GraphModule, path: str, qualified: str, top: str
    ) -> tuple[_Instance, ...]:
        ids: dict[str, str] = module.meta[NODE_IDS]
        found: list[_Instance] = []
        for node in module.graph.nodes:
            if node.op != "call_module" or node.name not in ids:
                continue
            node_id, target = ids[node.name], str(node.target)
            where = f"{path}/{node_id}" if path else node_id
            name = f"{qualified}.{target}" if qualified else target
            sub = module.get_submodule(target)
            copies = _repetitions(sub)
            if not copies:
                self.modules[where] = name
                continue
            inputs = tuple(a.name for a in node.all_input_nodes)
            repeats = isinstance(sub, torch.nn.Sequential)
            found.append(
                _Instance(
                    inputs,
                    tuple(
                        self._copy(
                            copy,
                            f"{where}.{i}" if repeats else where,
                            f"{name}.{i}" if repeats else name,
                            top or node_id,
                        )
                        for i, copy in enumerate(copies)
                    ),
                )
            )
        return tuple(found)

    def _copy(self, module: fx.GraphModule, path: str, qualified: str, top: str) -> _Copy:
        ids: dict[str, str] = module.meta[NODE_IDS]
        for node_id in ids.values():
            self.owner[f"{path}/{node_id}"] = top
        placeholders = tuple(n.name for n in module.graph.nodes if n.op == "placeholder")
        output = next(n for n in module.graph.nodes if n.op == "output").all_input_nodes[0]
        groups = self._find(module, path, qualified, top)
        return _Copy(path, feature_extractor(module), placeholders, ids, ids[output.name], groups)

    def activations(
        self, model: fx.GraphModule, outputs: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Every inner block's output by path, from ``outputs``, the top-level extractor's
        ``{node id: tensor}`` for the same input (run under the caller's no-grad and mode)."""
        ids: dict[str, str] = model.meta[NODE_IDS]
        env = {name: outputs[node_id] for name, node_id in ids.items() if node_id in outputs}
        found: dict[str, torch.Tensor] = {}
        _run(self._groups, env, found)
        return found


def _repetitions(module: torch.nn.Module) -> list[fx.GraphModule]:
    """The compiled repetitions of a group module; empty for a block's module."""
    if isinstance(module, fx.GraphModule) and DEFINITION in module.meta:
        return [module]
    if isinstance(module, torch.nn.Sequential):
        return [m for m in module if isinstance(m, fx.GraphModule) and DEFINITION in m.meta]
    return []


def _run(
    groups: tuple[_Instance, ...], env: dict[str, torch.Tensor], found: dict[str, torch.Tensor]
) -> None:
    for group in groups:
        if not all(name in env for name in group.inputs):
            continue  # its input was not computed (a node the model leaves out)
        args = [env[name] for name in group.inputs]
        for copy in group.copies:
            outputs: dict[str, torch.Tensor] = copy.extractor(*args)
            found.update({f"{copy.path}/{k}": v for k, v in outputs.items()})
            inner = dict(zip(copy.placeholders, args, strict=True))
            inner.update({n: outputs[i] for n, i in copy.ids.items() if i in outputs})
            _run(copy.groups, inner, found)
            args = [outputs[copy.output]]
