"""Sidecar metadata: ``report.meta.json`` (or ``report.pdf.meta.json``) beside ``report.pdf``.

Keys: ``title``, ``date`` (YYYY-MM-DD), ``authors`` (list of names), ``publisher``,
``doc_type``, ``url``, ``extra`` (object of strings); any other string-valued key goes
into ``extra`` too. Each field given in the sidecar wins over the extracted one.
Sidecars are never documents themselves (:func:`is_sidecar`).

Where each of ``title``, ``date`` and ``authors`` came from is kept in ``extra`` as
``title_from``, ``date_from`` and ``authors_from`` (:data:`SOURCES`, in order of trust),
so a reader of ``GET /documents/{id}`` knows which field a sidecar should correct.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from rag.errors import FileRejected
from rag.records import DocMeta

__all__ = [
    "SIDECAR_SUFFIX",
    "SOURCES",
    "apply_sidecar",
    "find_sidecar",
    "is_sidecar",
    "read_sidecar",
    "with_sources",
]

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"
_STRING_FIELDS = ("title", "publisher", "doc_type", "url")
# Where a title, date or author list can come from, most trusted first.
SOURCES = ("sidecar", "html meta", "pdf info", "page layout", "first page", "file name")
_TRACKED = ("title", "date", "authors")


def with_sources(meta: DocMeta, **sources: str | None) -> DocMeta:
    """``meta`` noting in ``extra`` where each given field came from (``title="pdf info"``)."""
    noted = {f"{name}_from": how for name, how in sources.items() if how}
    assert all(how in SOURCES for how in noted.values()), noted
    return replace(meta, extra={**meta.extra, **noted}) if noted else meta


def is_sidecar(path: Path | str) -> bool:
    """True for ``*.meta.json`` files, which describe a document and are not one."""
    return Path(path).name.lower().endswith(SIDECAR_SUFFIX)


def find_sidecar(path: Path) -> Path | None:
    """``report.pdf.meta.json`` if present, else ``report.meta.json``, else None."""
    for candidate in (
        path.with_name(path.name + SIDECAR_SUFFIX),
        path.with_name(path.stem + SIDECAR_SUFFIX),
    ):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(sidecar: Path) -> dict[str, Any]:
    """The sidecar's validated fields, ready for ``dataclasses.replace(DocMeta, ...)``."""
    try:
        raw = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise FileRejected(sidecar, "the metadata file is not UTF-8; re-save it as UTF-8") from err
    except json.JSONDecodeError as err:
        raise FileRejected(
            sidecar, f"the metadata file is not valid JSON (line {err.lineno}: {err.msg})"
        ) from err
    if not isinstance(raw, dict):
        raise FileRejected(sidecar, "the metadata file must hold a JSON object {...}")

    def bad(field: str, expected: str) -> FileRejected:
        return FileRejected(sidecar, f"metadata field '{field}' must be {expected}")

    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for key, value in raw.items():
        if key in _STRING_FIELDS:
            if not isinstance(value, str) or not value.strip():
                raise bad(key, "a non-empty string")
            fields[key] = value.strip()
        elif key == "date":
            fields["date"] = _iso_date(value, bad)
        elif key == "authors":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                raise bad(key, 'a list of names, e.g. ["Lizzie Crowley"]')
            fields["authors"] = tuple(a.strip() for a in value if a.strip())
        elif key == "extra":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise bad(key, "an object whose values are strings")
            extra.update(value)
        elif isinstance(value, str):
            extra[key] = value
        else:
            raise bad(key, "a string (only title, date, authors and extra have other shapes)")
    if extra:
        fields["extra"] = extra
    return fields


def _iso_date(value: object, bad: Any) -> str:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise bad("date", f'a real date written YYYY-MM-DD, e.g. "2011-12-07" (got {value!r})')


def apply_sidecar(meta: DocMeta, path: Path) -> DocMeta:
    """``meta`` with the fields of ``path``'s sidecar, if it has one, laid over it."""
    sidecar = find_sidecar(path)
    if sidecar is None:
        return meta
    fields = read_sidecar(sidecar)
    given = {f"{name}_from": "sidecar" for name in _TRACKED if name in fields}
    fields["extra"] = {**meta.extra, **given, **fields.get("extra", {})}
    log.debug("%s: metadata from %s (%s)", path, sidecar.name, ", ".join(sorted(fields)))
    return replace(meta, **fields)
