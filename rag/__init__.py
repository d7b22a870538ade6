"""Cited question answering over The Work Foundation's publications.

The public surface is listed in ``__all__``; heavier modules (retrieval, the
API) are imported where they are used so that ``import rag`` stays cheap. The
library's front door, ``from rag import Service``, is such a name: it is looked up
on first use (PEP 562), so this ground-floor module imports nothing above it.
"""

from __future__ import annotations

import importlib
from typing import Any

from rag.errors import (
    FileRejected,
    GeneratorError,
    IndexMismatch,
    IndexMissing,
    InputError,
    NotFound,
    RagError,
)
from rag.settings import Settings, get_settings

__version__ = "0.1.0"

_LAZY = {"Service": "rag.service"}
"""Exported names defined above the ground floor, and the module each comes from."""

__all__ = [
    "FileRejected",
    "GeneratorError",
    "IndexMismatch",
    "IndexMissing",
    "InputError",
    "NotFound",
    "RagError",
    "Service",
    "Settings",
    "__version__",
    "get_settings",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
