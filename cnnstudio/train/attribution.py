"""Why the network decides what it does: captum's Grad-CAM, saliency and integrated gradients.

Every method returns a heat map at the input's resolution, scaled to [0, 1], for one sample and
one class (the predicted one unless asked). Gradients are taken with ``torch.autograd.grad``
by captum, so the parameters' ``.grad`` (which the optimizer owns during a run) is untouched;
the model is put in eval mode for the call and given back in its mode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.fx as fx
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.torch_backend.inside import InsideGroups
from cnnstudio.train.callbacks import ATTRIBUTION_METHODS, AttributionMap
from cnnstudio.train.loss import probabilities

METHODS = ATTRIBUTION_METHODS
# Integrated gradients' path steps (captum's default), run as one batch: LeNet-5 takes ~10 ms
# here, a tenth of the 100 ms budget (benchmarks/attribution.py).
IG_STEPS = 50
_CONVOLUTIONS = (torch.nn.Conv2d, torch.nn.ConvTranspose2d)


class AttributionError(CnnStudioError):
    """An attribution that cannot be made (no convolution for Grad-CAM, a class out of range)."""


@dataclasses.dataclass(frozen=True)
class Heat:
    method: str
    node: str | None  # Grad-CAM's convolution node
    target: int  # the class the heat explains
    heat: np.ndarray  # float32 (H, W) in [0, 1]
    probabilities: np.ndarray  # float32 [classes]


class Attributor:
    """Attributions for one compiled model; knows its convolution nodes (in network order),
    those inside groups by path (``layer1.0/conv1``)."""

    def __init__(self, model: fx.GraphModule, output_kind: str) -> None:
        self.model = model
        self.output_kind = output_kind
        self.convolutions = {
            node: name
            for node, name in InsideGroups(model).modules.items()
            if isinstance(model.get_submodule(name), _CONVOLUTIONS)
        }

    @property
    def default_node(self) -> str | None:
        """The last convolution: the one closest to the classifier, with the most meaning."""
        return next(reversed(self.convolutions), None)

    def attribute(
        self,
        sample: torch.Tensor,
        method: str = "gradcam",
        target: int | None = None,
        node: str | None = None,
    ) -> Heat:
        """The heat map of normalised ``sample`` ``(C, H, W)`` for class ``target``."""
        if method not in METHODS:
            raise AttributionError(f"unknown attribution method {method!r}")
        was_training = self.model.training
        self.model.eval()
        try:
            x = sample.detach().float().unsqueeze(0)
            probs = self._probabilities(x)
            chosen = int(np.argmax(probs)) if target is None else int(target)
            if not 0 <= chosen < len(probs):
                raise AttributionError(
                    f"class {chosen} does not exist: the network has {len(probs)} outputs"
                )
            if method == "gradcam":
                node = node if node is not None else self.default_node
                if node not in self.convolutions:
                    raise AttributionError(
                        "Grad-CAM needs a convolution node"
                        + (f"; {node} is not one" if node is not None else " in the network")
                    )
                heat = self._gradcam(x, chosen, self.convolutions[node])
            elif method == "saliency":
                grads = Saliency(self.model).attribute(x.requires_grad_(), target=chosen)
                heat = grads[0].amax(0)
                node = None
            else:
                ig = IntegratedGradients(self.model).attribute(
                    x, baselines=0.0, target=chosen, n_steps=IG_STEPS, internal_batch_size=IG_STEPS
                )
                heat = ig[0].abs().sum(0)
                node = None
        finally:
            self.model.train(was_training)
        return Heat(method, node, chosen, scaled(heat.detach()), probs)

    def probabilities(self, sample: torch.Tensor) -> np.ndarray:
        """Class probabilities of normalised ``sample`` ``(C, H, W)`` (eval mode)."""
        was_training = self.model.training
        self.model.eval()
        try:
            return self._probabilities(sample.detach().float().unsqueeze(0))
        finally:
            self.model.train(was_training)

    def _probabilities(self, x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            out = probabilities(self.model(x), self.output_kind)[0].cpu().numpy()
        return np.asarray(out, dtype=np.float32)

    def _gradcam(self, x: torch.Tensor, target: int, module: str) -> torch.Tensor:
        layer = self.model.get_submodule(module)
        cam = LayerGradCam(self.model, layer).attribute(x, target=target, relu_attributions=True)
        if cam.shape[-2:] != x.shape[-2:]:
            cam = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), "bilinear")
        return cam[0, 0]


def scaled(heat: torch.Tensor) -> np.ndarray:
    """To [0, 1] by the map's own maximum (a flat map stays zero)."""
    values = heat.float().cpu().numpy()
    top = float(values.max(initial=0.0))
    out = values / top if top > 0 else np.zeros_like(values)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def attribution_map(
    attributor: Attributor, request: Mapping[str, Any], sample: torch.Tensor, index: int
) -> AttributionMap:
    """The answer to one editor request (``request``, ``method``, ``target``, ``node``), about
    validation sample ``index`` (``sample``: normalised); an impossible one says why."""
    method = str(request.get("method", "gradcam"))
    target, node = request.get("target"), request.get("node")
    ask = int(request.get("request", 0))
    try:
        heat = attributor.attribute(
            sample,
            method,
            int(target) if target is not None else None,
            str(node) if node is not None else None,
        )
    except AttributionError as exc:
        return AttributionMap.unanswerable(request, index, str(exc))
    return AttributionMap(ask, index, method, heat.node, heat.target, heat.heat, heat.probabilities)
