"""The error an export raises for anything a user can cause, and its one named case."""

from __future__ import annotations

from cnnstudio.core.errors import CnnStudioError

EXTRA_HINT = "pip install 'cnnstudio[export]'"


class ExportError(CnnStudioError):
    """An export that cannot be done; the message is one line fit to show as it is.

    ``invalid_graph`` marks a refusal because the network itself has errors (as opposed to a
    format, a missing package or an unwritable path).
    """

    def __init__(self, message: str, invalid_graph: bool = False) -> None:
        super().__init__(message)
        self.invalid_graph = invalid_graph


class StaleWeightsError(ExportError):
    """The trained weights do not fit the network, which was edited after training.

    Exporting with ``fresh_weights`` (seeded initial weights) is the way out; the CLI and the
    editor offer it by name.
    """
