"""Errors raised by the dataset layer."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset cannot be loaded, downloaded or configured; the message is meant for the user."""


class DownloadCancelled(DatasetError):
    """The caller asked a running download to stop; partial files are kept for resuming."""


class DatasetNotFoundError(DatasetError):
    """A dataset's files are not where they were looked for (they may still be downloadable)."""
