"""Score title, date and author extraction over synthetic pages; not a test, a report.

    nice -n 19 .venv/bin/python tests/ingest/measure_layouts.py
    nice -n 19 .venv/bin/python tests/ingest/measure_layouts.py --pages DIR [DIR ...]

``--pages`` scores folders of pages saved as text instead, each with an
``expected.jsonl`` (a line a page: ``{"file", "title", "date", "authors", "layout"}``),
such as the blind sets in ``tests/ingest/pages/`` or a held-out set kept elsewhere:
title and date exact, authors exact (honorifics as printed) and by person.

Three sets, all in-sample for the rules (written while building them), so the numbers
say the rules do what they claim, not how they do on real pages:
* ``layouts``: the hand-written :data:`LAYOUTS` of ``test_layouts.py``;
* ``generated``: every combination of chrome, author card, by-line spelling and date
  form below, with people and titles drawn in turn from small pools;
* ``seeds``: the bundled seeds with their sidecars taken away (the sidecar is truth).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ingest.load import load
from ingest.names import person_key

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("test_layouts", HERE / "test_layouts.py")
assert _spec is not None and _spec.loader is not None
layouts = importlib.util.module_from_spec(_spec)
sys.modules["test_layouts"] = layouts
_spec.loader.exec_module(layouts)

PEOPLE = [
    ("Dr", "Neil Lee", "Head of the socio-economic centre"),
    ("", "Lizzie Crowley", "Researcher"),
    ("Professor", "Stephen Bevan", "Director, Centre for Workforce Effectiveness"),
    ("", "Katie Schmuecker", "Policy Director"),
    ("", "Ian Brinkley", "Chief Economist"),
]
TITLES = [
    "Local growth needs local power",
    "Is the squeezed middle being squeezed out?",
    "Ten years of the knowledge economy",
    "Health, work and wellbeing: the next steps",
]
CHROME = ["", "HOME\nABOUT US\nGET INVOLVED\n\n", "VENUE HIRE>Book before 15th of May for…\n\n"]
CARDS = ["none", "name", "name+job", "name+job+name"]
BYLINES = ["Authors: {p} {p}", "Authors: {p} {n}", "Authors: {p}", "By {p}", "none"]
DATES = [("05 July 2012", "2012-07-05"), ("July 5, 2012", "2012-07-05"), ("5/7/2012", "2012-07-05")]


def generated() -> Iterator[tuple[str, str, str, str | None, tuple[str, ...]]]:
    for k, (chrome, card, byline, (shown, iso)) in enumerate(
        itertools.product(CHROME, CARDS, BYLINES, DATES)
    ):
        prefix, name, job = PEOPLE[k % len(PEOPLE)]
        title = TITLES[k % len(TITLES)]
        full = f"{prefix} {name}".strip()
        card_lines = {
            "none": [],
            "name": [full],
            "name+job": [full, job],
            "name+job+name": [full, job, full],
        }[card]
        by = "" if byline == "none" else byline.format(p=full, n=name) + "\n\n"
        text = (
            f"{layouts.COOKIES}\n\n{layouts.PROMPT}\n\n{chrome}"
            + ("\n".join(card_lines) + "\n\n" if card_lines else "")
            + f"{title}\n\n{by}{shown}\n\n{layouts.BODY}"
        )
        has_author = byline != "none" or card != "none"
        yield (
            f"{chrome[:8]!r}/{card}/{byline}/{shown}",
            text,
            title,
            iso,
            ((full,) if has_author else ()),
        )


def score(name: str, cases: list[tuple[str, Path, str, str | None, tuple[str, ...]]]) -> None:
    hits = {"title": 0, "date": 0, "authors": 0}
    misses: list[str] = []
    for label, path, title, when, authors in cases:
        meta = load(path).meta
        got = {"title": meta.title == title, "date": meta.date == when,
               "authors": meta.authors == authors}  # fmt: skip
        for field, ok in got.items():
            hits[field] += ok
        if not all(got.values()):
            misses.append(f"  {label}: {meta.title!r} {meta.date} {meta.authors}")
    n = len(cases)
    print(f"{name:10} n={n:3}  " + "  ".join(f"{f} {hits[f] / n:.2f}" for f in hits))
    for miss in misses[:10]:
        print(miss)


def score_pages(folder: Path) -> dict[str, float]:
    """Share of pages in ``folder`` whose title, date and authors come out as its
    ``expected.jsonl`` says; prints each miss."""
    rows = [json.loads(line) for line in (folder / "expected.jsonl").open(encoding="utf-8")]
    hits = {"title": 0, "date": 0, "authors": 0, "authors_by_person": 0}
    for row in rows:
        meta = load(folder / row["file"]).meta
        got = {
            "title": meta.title == row["title"],
            "date": meta.date == row["date"],
            "authors": list(meta.authors) == row["authors"],
            "authors_by_person": [person_key(a) for a in meta.authors]
            == [person_key(a) for a in row["authors"]],
        }
        for field, ok in got.items():
            hits[field] += ok
        if not all(got.values()):
            print(f"  {row['file']} ({row['layout']}): {meta.title!r} {meta.date} {meta.authors}")
    shares = {field: hit / len(rows) for field, hit in hits.items()}
    line = "  ".join(f"{field} {share:.3f}" for field, share in shares.items())
    print(f"{folder.name:10} n={len(rows):3}  {line}")
    return shares


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--pages"]:
        for folder in args[1:]:
            score_pages(Path(folder))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def write(i: int, text: str) -> Path:
            path = root / f"{i:04d}_page.txt"
            path.write_text(text, encoding="utf-8")
            return path

        score("layouts", [(lay.name, write(i, lay.text), lay.title, lay.date, lay.authors)
                          for i, lay in enumerate(layouts.LAYOUTS)])  # fmt: skip
        score("generated", [(label, write(1000 + i, text), title, when, authors)
                            for i, (label, text, title, when, authors)
                            in enumerate(generated())])  # fmt: skip
        seeds = []
        for seed in sorted((HERE.parents[1] / "corpus").glob("*.txt")):
            truth = json.loads(seed.with_suffix(".meta.json").read_text(encoding="utf-8"))
            copy = Path(shutil.copy(seed, root / seed.name))
            seeds.append((seed.stem, copy, truth["title"], truth["date"], tuple(truth["authors"])))
        score("seeds", seeds)


if __name__ == "__main__":
    sys.exit(main())
