"""Loading real files: the seed corpus, real PDFs (good, odd, bad), text and HTML edge cases."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.clean import normalise
from ingest.load import SUPPORTED_SUFFIXES, load
from ingest.pdfium_text import PdfiumText
from ingest.structure import join_table_cells, strip_running_lines
from rag.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileRejected,
    NoText,
    UndecodableText,
    UnsupportedFile,
)
from rag.records import LoadedDocument

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
DATA = REPO.parent / "shared" / "data"
PDFS = DATA / "pdfs"
PRESS = CORPUS / "streets-ahead-press-release-2011-12-07.txt"
BLOG = CORPUS / "local-innovation-and-freedom-2012-07-05.txt"

BOILERPLATE = ["uses cookies", "020 7976", "07825", "Media enquiries", "please contact us"]


def _pdfs(folder: str) -> list[Path]:
    return sorted((PDFS / folder).glob("*.pdf")) if PDFS.is_dir() else []


needs_data = pytest.mark.skipif(
    not PDFS.is_dir(), reason=f"shared test data not found at {DATA} (../shared/data)"
)


def _check_pages(doc: LoadedDocument) -> None:
    assert [span.page for span in doc.pages] == list(range(1, len(doc.pages) + 1))
    assert doc.pages[0].start == 0 and doc.pages[-1].end == len(doc.text)
    for before, after in zip(doc.pages, doc.pages[1:], strict=False):
        assert after.start == before.end + 2 and doc.text[before.end : after.start] == "\n\n"
    assert all(doc.page_at(span.start) == span.page for span in doc.pages if span.end > span.start)


# --- the seed corpus -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [PRESS, BLOG], ids=["press-release", "blog"])
def test_seed_boilerplate_is_gone(path: Path) -> None:
    doc = load(path)
    for phrase in BOILERPLATE:
        assert phrase not in doc.text
    assert "Head of the socio-economic centre" not in doc.text
    assert doc.kind == "text" and doc.pages == ()


def test_seed_content_stays() -> None:
    assert "Coventry, Derby, Northampton, Preston and Warrington/Wigan" in load(PRESS).text
    blog = load(BLOG).text
    assert "Bristol gets a ‘Growth Incentive’" in blog and "£45 million" in blog
    assert blog.startswith("Local innovation and freedom go hand in hand\n")


def test_seed_metadata_comes_from_the_sidecars() -> None:
    press = load(PRESS).meta
    assert press.title == "Centrally-led growth policy holding back cities outside London"
    assert (press.date, press.authors, press.doc_type) == (
        "2011-12-07",
        ("Lizzie Crowley",),
        "press release",
    )
    assert press.publisher == "The Work Foundation"
    assert press.extra["report"] == "Streets Ahead: what makes a city innovative?"
    blog = load(BLOG).meta
    assert (blog.title, blog.date, blog.authors, blog.doc_type) == (
        "Local innovation and freedom go hand in hand",
        "2012-07-05",
        ("Dr Neil Lee",),
        "blog post",
    )


def test_seed_metadata_is_extracted_without_sidecars(tmp_path: Path) -> None:
    press = load(Path(shutil.copy(PRESS, tmp_path))).meta
    assert press.title == "Centrally-led growth policy holding back cities outside London"
    # the press release names its report's author in the text
    assert (press.date, press.authors, press.publisher) == ("2011-12-07", ("Lizzie Crowley",), None)
    blog = load(Path(shutil.copy(BLOG, tmp_path))).meta
    assert (blog.title, blog.date, blog.authors) == (
        "Local innovation and freedom go hand in hand",
        "2012-07-05",
        ("Dr Neil Lee",),
    )


# --- real PDFs -----------------------------------------------------------------------------


@needs_data
@pytest.mark.parametrize("path", _pdfs("good") + _pdfs("odd"), ids=lambda p: p.name)
def test_readable_pdfs_load_with_pages(path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    doc = load(path)
    assert doc.kind == "pdf" and doc.text.strip() and doc.meta.title
    reader = PdfReader(path)
    assert len(doc.pages) == len(reader.pages)
    _check_pages(doc)
    # the pages as PDFium reads them, less running headers and footers, table rows joined
    with PdfiumText(path.read_bytes()) as fast:
        raw = [fast.page(i) for i in range(len(reader.pages))]
    assert None not in raw
    pages = [normalise(page or "", dehyphenate=True) for page in raw]
    expected = [join_table_cells(page) for page in strip_running_lines(pages)[0]]
    assert [doc.text[span.start : span.end] for span in doc.pages] == expected
    assert capfd.readouterr().err == ""


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w{3,}", text.lower()))


@needs_data
@pytest.mark.parametrize("path", _pdfs("good") + _pdfs("odd"), ids=lambda p: p.name)
def test_pdfium_reads_the_words_pypdf_reads(path: Path) -> None:
    """The fast extractor loses nothing pypdf found: on every real PDF here the two word
    sets agree to at least 0.98 (Jaccard; 0.987 at the lowest when this was written)."""
    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    n = min(len(reader.pages), 15)
    slow = normalise(
        "\n".join(reader.pages[i].extract_text() or "" for i in range(n)), dehyphenate=True
    )
    with PdfiumText(path.read_bytes()) as fast:
        quick = normalise("\n".join(fast.page(i) or "" for i in range(n)), dehyphenate=True)
    a, b = _words(slow), _words(quick)
    assert len(a & b) / max(1, len(a | b)) >= 0.98


BAD = {
    "empty.pdf": (EmptyFile, "empty"),
    "unreadablemetadata.pdf": (CorruptFile, "damaged"),
    "password-example.pdf": (EncryptedFile, "password"),
    "encrypted-file.pdf": (EncryptedFile, "password"),
    "libreoffice-writer-password.pdf": (EncryptedFile, "password"),
    "crazyones-encrypted-256.pdf": (EncryptedFile, "password"),
}


@needs_data
def test_every_bad_file_is_listed() -> None:
    assert {p.name for p in _pdfs("bad")} == set(BAD)


@needs_data
@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_pdfs_are_rejected(name: str, capfd: pytest.CaptureFixture[str]) -> None:
    error, word = BAD[name]
    path = PDFS / "bad" / name
    with pytest.raises(error) as caught:
        load(path)
    assert caught.value.path == str(path.resolve()) and name in str(caught.value)
    assert word in caught.value.reason
    assert capfd.readouterr().err == ""


@needs_data
def test_pypdf_noise_stays_off_stderr_outside_pytest() -> None:
    """pytest's log capture hides stray log records from capfd, so check in a bare process."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom ingest.load import load\n"
        "from rag.errors import FileRejected\n"
        "for p in sorted(Path(sys.argv[1]).glob('*/*.pdf')):\n"
        "    try:\n        load(p)\n    except FileRejected:\n        pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(PDFS)], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""


@needs_data
def test_the_right_password_opens_a_protected_pdf() -> None:
    doc = load(PDFS / "bad" / "libreoffice-writer-password.pdf", password="openpassword")
    assert doc.text.strip() and len(doc.pages) >= 1
    with pytest.raises(EncryptedFile):
        load(PDFS / "bad" / "libreoffice-writer-password.pdf", password="wrong")


@needs_data
def test_pdf_titles_are_sensible() -> None:
    assert (
        load(PDFS / "odd" / "bytes.pdf").meta.title == "This is a test for a PDF with bytes title"
    )
    # "Binder1.pdf" in the metadata is a file name, not a title
    assert "Binder1" not in load(PDFS / "good" / "Seige_of_Vicksburg_Sample_OCR.pdf").meta.title
    assert load(PDFS / "good" / "google-doc-document.pdf").meta.title == "PDF Example Document"


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "financebench").is_dir(), reason=f"no financebench at {DATA}")
def test_pdf_encrypted_with_an_empty_password_opens(capfd: pytest.CaptureFixture[str]) -> None:
    path = DATA / "financebench" / "pdfs" / "BESTBUY_2024Q2_10Q.pdf"
    assert PdfReader(path).is_encrypted
    started = time.perf_counter()
    doc = load(path)
    assert len(doc.pages) > 20 and time.perf_counter() - started < 60
    _check_pages(doc)
    assert capfd.readouterr().err == ""


# --- wrong types, encodings and empty files ------------------------------------------------


def test_text_named_pdf_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("This is really a text file.")
    with pytest.raises(UnsupportedFile, match="not a PDF .*rename it to its real type"):
        load(path)


def test_unknown_suffix_names_the_supported_types(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFile) as caught:
        load(path)
    assert all(suffix in caught.value.reason for suffix in SUPPORTED_SUFFIXES)


def test_a_sidecar_is_not_a_document(tmp_path: Path) -> None:
    path = tmp_path / "report.meta.json"
    path.write_text("{}")
    with pytest.raises(UnsupportedFile, match="sidecar"):
        load(path)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="no such file"):
        load(tmp_path / "nothing.txt")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyFile),
        (b"  \n\t\r\n  ", NoText),
        (b"\x00\x01\x02\x81\x8d\xff\xfe\x00binary", UndecodableText),
        (b"caf\xe9 \x00\x01 with controls", UndecodableText),
    ],
    ids=["empty", "whitespace", "binary", "cp1252-with-controls"],
)
def test_unreadable_text_is_rejected(tmp_path: Path, content: bytes, error: type) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(content)
    with pytest.raises(error) as caught:
        load(path)
    assert "note.txt" in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        "Pay rises of £5 in Coventry café".encode("utf-8-sig"),
        "Pay rises of £5 in Coventry café".encode("utf-16"),
        "Pay rises of £5 in Coventry café".encode("cp1252"),
        "Pay rises of £5 in Coventry café".encode(),
    ],
    ids=["utf-8-sig", "utf-16", "cp1252", "utf-8"],
)
def test_text_encodings(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "note.md"
    path.write_bytes(content)
    assert load(path).text == "Pay rises of £5 in Coventry café"


def test_html_keeps_the_article_and_drops_the_site(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        """<html><head><title>City deals | The Work Foundation</title>
        <meta name="author" content="Dr Neil Lee"></head>
        <body class="has-cookie-banner"><header><a>Home</a></header><nav>Menu</nav>
        <div id="cookie-notice">This site uses cookies.</div>
        <main><h1>City deals</h1><time datetime="2012-07-05">5 July</time>
        <p>Bristol gets a
        growth incentive.</p><ul><li>Sheffield</li><li>Leeds</li></ul>
        <div class="social-share">Share</div><p>Media enquiries:</p></main>
        <footer>Call 020 7976 3575</footer><script>track()</script></body></html>""",
        encoding="utf-8",
    )
    doc = load(path)
    assert (
        doc.text == "City deals\n\n5 July\n\nBristol gets a growth incentive.\n\nSheffield\n\nLeeds"
    )
    assert (doc.meta.title, doc.meta.date, doc.meta.authors) == (
        "City deals",  # the <title> less the site name, as the <h1> gives it
        "2012-07-05",
        ("Dr Neil Lee",),
    )
