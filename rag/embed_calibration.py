"""The texts the int8 embedder's activation ranges are measured on, shipped with the package.

``texts()`` returns them as ``title\\ntext`` strings, the shape of a chunk. They are the
first paragraph of each of the first 300 articles of SQuAD 1.1 train (Wikipedia, CC BY-SA
4.0; Rajpurkar et al., 2016), in file order: general English on many subjects, none of it
from the publications this assistant indexes nor from the SciFact texts its benchmarks
report on. ``python -m rag.embed_calibration`` rewrites the file from
``../shared/data/squad`` (the test suite checks that it still matches).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

FILE = Path(__file__).with_name("embed_calibration.jsonl")
SQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "squad"
SQUAD_TRAIN = SQUAD / "squad-v1.1-train.json.gz"
COUNT = 300  # NNCF's default calibration subset size


def from_squad(path: Path = SQUAD_TRAIN, count: int = COUNT) -> list[dict[str, str]]:
    """The first paragraph of each of the first ``count`` articles of a SQuAD file."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        articles = json.load(f)["data"][:count]
    return [
        {"title": a["title"].replace("_", " "), "text": a["paragraphs"][0]["context"]}
        for a in articles
    ]


def rows(path: Path = FILE) -> list[dict[str, str]]:
    """The bundled rows, ``{"title", "text"}`` each, as :func:`from_squad` makes them."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def texts(path: Path = FILE) -> list[str]:
    """The calibration texts, ``title\\ntext`` each."""
    return [f"{r['title']}\n{r['text']}" for r in rows(path)]


def write(rows: list[dict[str, str]], path: Path = FILE) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )


if __name__ == "__main__":
    if not SQUAD_TRAIN.exists():
        sys.exit(f"{SQUAD_TRAIN} not found: the SQuAD 1.1 train file is needed to rewrite {FILE}")
    write(from_squad())
    print(f"wrote {FILE}")
