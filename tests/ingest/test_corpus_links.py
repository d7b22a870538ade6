"""Symbolic links in the corpus folder (issue 11, item 10): a link that leads out of the
scanned folder is never followed, and the run says so; a link inside it is indexed."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import Ingestor
from rag.settings import Settings

SECRET = "The secret figure is 42 and nobody outside may read it."
PUBLIC = "Cities with many graduates grow faster. The report says so."


def make(tmp_path: Path) -> tuple[Ingestor, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.txt").write_text(PUBLIC)
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "alias.txt").symlink_to(corpus / "report.txt")
    (corpus / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (corpus / "folder").symlink_to(outside, target_is_directory=True)
    settings = Settings(
        embedding={"backend": "hash"},
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
        answer={"reader": "lexical"},
    )
    return Ingestor(settings), corpus


def test_links_leading_out_of_the_folder_are_refused_and_named(tmp_path: Path) -> None:
    ing, corpus = make(tmp_path)
    summary = ing.ingest_paths([corpus], progress=False)
    assert sorted(summary.added) == ["alias.txt", "report.txt"]
    failed = {f["path"]: f["reason"] for f in summary.failed}
    assert sorted(failed) == ["broken.txt", "leak.txt"]
    assert all("symbolic link" in reason for reason in failed.values())
    assert str(tmp_path) not in " ".join(failed.values())  # no server path in the reason
    snap = ing.store.open(ing.fingerprint)
    texts = [row[5] for row in snap.chunk_table()]
    assert not any("secret" in text for text in texts)


def test_a_link_indexed_before_is_removed_once_it_is_refused(tmp_path: Path) -> None:
    ing, corpus = make(tmp_path)
    (corpus / "leak.txt").unlink()
    (corpus / "leak.txt").write_text(SECRET)  # a plain file first: indexed
    ing.ingest_paths([corpus], progress=False)
    (corpus / "leak.txt").unlink()
    (corpus / "leak.txt").symlink_to(tmp_path / "private" / "secret.txt")
    summary = ing.ingest_paths([corpus], progress=False)
    assert "leak.txt" in summary.removed
    texts = [row[5] for row in ing.store.open(ing.fingerprint).chunk_table()]
    assert not any("secret" in text for text in texts)
