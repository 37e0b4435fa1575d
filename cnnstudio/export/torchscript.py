"""TorchScript (``torch.jit.script``) for runtimes that still load ``.pt`` modules (LibTorch).

PyTorch deprecates TorchScript in favour of ``torch.export``; this PyTorch says so with a
``DeprecationWarning`` on every ``torch.jit`` call. The export still works and C++ LibTorch
loads it, so cnnstudio offers it, silences only those deprecation notices while it scripts,
and passes their text on to the user with a pointer to the ``pt2`` format.
"""

from __future__ import annotations

import io
import re
import warnings

import torch
import torch.fx as fx

from cnnstudio.export.errors import ExportError
from cnnstudio.export.traced import first_line

_JIT_DEPRECATED = r"`torch\.jit\.\w+` is deprecated"
# Scripting an fx.GraphModule trips this for attributes torch.fx itself annotates.
_FX_ANNOTATIONS = "The TorchScript type system doesn't support instance-level annotations"
DEPRECATION_NOTE = (
    "note: PyTorch {} deprecates TorchScript; the file works today, but prefer --format pt2 "
    "(torch.export) for new deployments"
)


def torchscript_bytes(model: fx.GraphModule) -> tuple[bytes, list[str]]:
    """The scripted module as ``torch.jit.save`` writes it, and notes for the user."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=_FX_ANNOTATIONS, category=UserWarning)
        try:
            scripted = torch.jit.script(model)
        except Exception as exc:  # TorchScript's frontend raises several types
            raise ExportError(f"TorchScript cannot compile the network: {first_line(exc)}") from exc
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
    deprecated = False
    for w in caught:
        if issubclass(w.category, DeprecationWarning) and re.search(
            _JIT_DEPRECATED, str(w.message)
        ):
            deprecated = True
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    notes = [DEPRECATION_NOTE.format(torch.__version__)] if deprecated else []
    return buffer.getvalue(), notes
