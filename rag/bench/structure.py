"""Report structure and titles on real PDFs: running lines before and after, titles with
their source.

    nice python -m rag.bench.structure          # print the tables
    nice python -m rag.bench.structure --write  # and write them to BENCHMARKS.md

For each PDF of ``SHARED/financebench/pdfs`` and ``SHARED/pdfs/good``: 'running before'
counts the lines that :func:`ingest.structure.strip_running_lines` finds at the edges of
the pages as PDFium (else pypdf) gives them (normalised, nothing dropped yet: recorded
during the one ``ingest.load`` of the file); 'after' runs the same
detection again over the pages of the loaded document (what is indexed); 'copies left'
counts the lines of the loaded text that still read like one of those running lines
(same words, numbers aside) anywhere on a page (a running line with words that was
left out somewhere, still present elsewhere). Then the title ``ingest.load`` gives,
where it came from, and whether it is usable (not empty, not the file name).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import ingest.pdf
from ingest.load import load
from ingest.structure import strip_running_lines
from rag.bench.report import stamp, table, write_section
from rag.records import LoadedDocument
from rag.settings import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared" / "data"
FOLDERS = (SHARED / "financebench" / "pdfs", SHARED / "pdfs" / "good")
_DIGITS = re.compile(r"\d+")


def _loaded_with_raw_pages(path: Path) -> tuple[LoadedDocument, list[str]]:
    """The document as ``ingest.load`` gives it, and its pages as ``ingest.pdf`` hands
    them to the structure step (normalised page text, nothing dropped): one parse."""
    seen: list[list[str]] = []
    original = ingest.pdf.strip_running_lines

    def recording(pages: list[str]) -> tuple[list[str], int]:
        seen.append(list(pages))
        return original(pages)

    ingest.pdf.strip_running_lines = recording
    try:
        doc = load(path)
    finally:
        ingest.pdf.strip_running_lines = original
    return doc, seen[0]


def _lettered_key(line: str) -> str:
    return " ".join(_DIGITS.sub("#", line.lower()).split())


def measure(path: Path) -> list[object]:
    started = time.perf_counter()
    doc, raw = _loaded_with_raw_pages(path)
    stripped, before = strip_running_lines(raw)
    keys = {  # the lines with words that were left out somewhere
        _lettered_key(line)
        for page, kept in zip(raw, stripped, strict=True)
        for line in set(page.split("\n")) - set(kept.split("\n"))
        if any(ch.isalpha() for ch in line)
    }
    pages = [doc.text[s.start : s.end] for s in doc.pages]
    _, after = strip_running_lines(pages)
    copies = sum(_lettered_key(line) in keys for page in pages for line in page.split("\n"))
    title = doc.meta.title
    usable = bool(title.strip()) and title not in (path.stem, path.name)
    return [
        path.name,
        len(raw),
        before,
        after,
        copies,
        title if len(title) <= 70 else title[:69] + "…",
        doc.meta.extra.get("title_from", "?"),
        "yes" if usable else "NO",
        round(time.perf_counter() - started, 1),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help="write to BENCHMARKS.md")
    args = parser.parse_args(argv)
    headers = [
        "file", "pages", "running before", "after", "copies left", "title", "title from",
        "usable", "s",
    ]  # fmt: skip
    parts = []
    for folder in FOLDERS:
        rows = [measure(path) for path in sorted(folder.glob("*.pdf"))]
        total = ["all", *(sum(int(str(r[i])) for r in rows) for i in (1, 2, 3, 4))]
        rows.append([*total, "", "", f"{sum(r[7] == 'yes' for r in rows)}/{len(rows)}", ""])
        md = f"**{folder.relative_to(SHARED)}**\n\n" + table(headers, rows)
        print(md, flush=True)
        parts.append(md)
    if args.write:
        method = (__doc__ or "").split("\n\n", 2)[2].strip()
        command = "nice python -m rag.bench.structure --write"
        write_section(
            "structure",
            "## Report structure and titles on real PDFs\n"
            + stamp(command)
            + f"\n**Method.** {' '.join(method.split())}\n\n"
            + "\n\n".join(parts),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
