"""``from rag import Service`` is the library's front door, and ``import rag`` alone
still loads nothing above the ground floor."""

from __future__ import annotations

import subprocess
import sys

import rag


def test_service_is_exported_from_the_package() -> None:
    from rag import Service
    from rag.service import Service as Defined

    assert Service is Defined
    assert "Service" in rag.__all__ and "Service" in dir(rag)


def test_import_rag_does_not_import_the_service_layer() -> None:
    code = (
        "import sys, rag; print('rag.service' in sys.modules); "
        "from rag import Service; print('rag.service' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        rag.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("rag.NoSuchThing resolved")
