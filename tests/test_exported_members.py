"""The package's public surface is what ``rag.__all__`` says, and importing it stays cheap."""

import subprocess
import sys

import rag


def test_all_names_exist_and_are_sorted() -> None:
    for name in rag.__all__:
        assert hasattr(rag, name), name
    assert rag.__all__ == sorted(rag.__all__)


def test_every_public_error_is_exported() -> None:
    from rag import errors

    exported = set(rag.__all__)
    for name in ("RagError", "InputError", "FileRejected", "IndexMissing", "IndexMismatch"):
        assert name in exported
        assert issubclass(getattr(rag, name), errors.RagError)


def test_import_rag_does_not_load_the_model_stack() -> None:
    heavy = ("torch", "faiss", "sentence_transformers", "fastapi")
    code = f"import sys, rag; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
