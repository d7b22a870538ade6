"""Sidecar metadata: where it is found, how it is checked, and that it wins field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.load import load
from ingest.meta import apply_sidecar, find_sidecar, is_sidecar, read_sidecar
from rag.errors import FileRejected
from rag.records import DocMeta

TEXT = "Extracted title here\n\n07 December 2011\n\nAuthors: Jane Doe\n\nThe body of the note."


def _doc(tmp_path: Path, name: str = "note.txt") -> Path:
    path = tmp_path / name
    path.write_text(TEXT, encoding="utf-8")
    return path


def _sidecar(path: Path, content: object) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def test_is_sidecar() -> None:
    assert is_sidecar(Path("report.meta.json")) and is_sidecar("report.pdf.META.JSON")
    assert not is_sidecar(Path("report.json")) and not is_sidecar(Path("meta.txt"))


def test_sidecar_wins_field_by_field(tmp_path: Path) -> None:
    doc = _doc(tmp_path)
    _sidecar(tmp_path / "note.meta.json", {"title": "Given title", "doc_type": "blog post"})
    meta = load(doc).meta
    assert (meta.title, meta.doc_type) == ("Given title", "blog post")
    assert (meta.date, meta.authors) == ("2011-12-07", ("Jane Doe",))  # still extracted


def test_without_a_sidecar_the_text_speaks(tmp_path: Path) -> None:
    meta = load(_doc(tmp_path)).meta
    assert (meta.title, meta.date, meta.authors) == (
        "Extracted title here",
        "2011-12-07",
        ("Jane Doe",),
    )


def test_full_name_sidecar_is_preferred(tmp_path: Path) -> None:
    doc = _doc(tmp_path)
    _sidecar(tmp_path / "note.meta.json", {"title": "Stem form"})
    full = _sidecar(tmp_path / "note.txt.meta.json", {"title": "Full form"})
    assert find_sidecar(doc) == full
    assert load(doc).meta.title == "Full form"


def test_all_fields_and_extra(tmp_path: Path) -> None:
    sidecar = _sidecar(
        tmp_path / "x.meta.json",
        {
            "title": "T",
            "date": "2012-07-05",
            "authors": ["Dr Neil Lee"],
            "publisher": "The Work Foundation",
            "doc_type": "report",
            "url": "https://example.org/x",
            "extra": {"report": "Streets Ahead"},
            "series": "Knowledge Economy",
        },
    )
    fields = read_sidecar(sidecar)
    assert fields["authors"] == ("Dr Neil Lee",)
    assert fields["extra"] == {"report": "Streets Ahead", "series": "Knowledge Economy"}
    meta = apply_sidecar(DocMeta(title="old", extra={"kept": "yes"}), tmp_path / "x.pdf")
    assert meta.url == "https://example.org/x" and meta.extra["kept"] == "yes"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ('{"title": "x",', "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ({"date": "07/12/2011"}, "'date'"),
        ({"date": "2011-02-30"}, "'date'"),
        ({"authors": [1, 2]}, "'authors'"),
        ({"title": ""}, "'title'"),
        ({"pages": 12}, "'pages'"),
    ],
)
def test_bad_sidecars_are_rejected_naming_the_field(
    tmp_path: Path, content: object, field: str
) -> None:
    doc = _doc(tmp_path)
    sidecar = _sidecar(tmp_path / "note.meta.json", content)
    with pytest.raises(FileRejected) as caught:
        load(doc)
    assert caught.value.path == str(sidecar) and field in caught.value.reason


def test_the_seed_sidecars_are_valid() -> None:
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    sidecars = sorted(corpus.glob("*.meta.json"))
    assert len(sidecars) >= 2
    for sidecar in sidecars:
        assert read_sidecar(sidecar)["publisher"] == "The Work Foundation"
