"""Cited question answering over The Work Foundation's publications.

The public surface is listed in ``__all__``; heavier modules (retrieval, the
API) are imported where they are used so that ``import rag`` stays cheap.
"""

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

__all__ = [
    "FileRejected",
    "GeneratorError",
    "IndexMismatch",
    "IndexMissing",
    "InputError",
    "NotFound",
    "RagError",
    "Settings",
    "__version__",
    "get_settings",
]
