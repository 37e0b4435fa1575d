"""The drag-and-drop formats of the palette: a block's type name, or a project block's
(group definition's) name, as UTF-8 text."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

from cnnstudio.core.blocks import get_spec
from cnnstudio.core.errors import GraphError

BLOCK_MIME_TYPE = "application/x-cnnstudio-block"
DEFINITION_MIME_TYPE = "application/x-cnnstudio-definition"


def block_mime_data(block_type: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(BLOCK_MIME_TYPE, block_type.encode())
    return mime


def block_type_from_mime(mime: QMimeData) -> str | None:
    """The dragged block's type, or ``None`` when the data is not a known block."""
    if not mime.hasFormat(BLOCK_MIME_TYPE):
        return None
    block_type = bytes(mime.data(BLOCK_MIME_TYPE).data()).decode("utf-8", "replace")
    try:
        get_spec(block_type)
    except GraphError:
        return None
    return block_type


def definition_mime_data(name: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(DEFINITION_MIME_TYPE, name.encode())
    return mime


def definition_from_mime(mime: QMimeData) -> str | None:
    """The dragged project block's definition name (the drop checks that the project has it)."""
    if not mime.hasFormat(DEFINITION_MIME_TYPE):
        return None
    return bytes(mime.data(DEFINITION_MIME_TYPE).data()).decode("utf-8", "replace") or None
