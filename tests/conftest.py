"""Test-wide setup: Qt runs offscreen, and no test may leave a thread running."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")
