"""The abstention threshold chosen in the product's own setting.

``python -m rag.reader.calibrate`` reads each SQuAD 2.0 calibration question against
its own paragraph. The product reads differently. A question goes through retrieval
over a whole library, and the reader then reads the sentences of the top passages,
reranked. This module repeats that path on the same calibration articles (SQuAD 2.0
dev positions 2, 10, 18, ...; never the odd, held-out ones):

1. Each article is written as one publication (its title, then its paragraphs).
2. The articles are indexed with the product's settings.
3. Each question goes through ``Answerer.evidence``, the code path of ``/ask``.

The threshold is the highest cut that answers ``coverage`` of the answerable questions
(the product's operating point, as in ``rag.reader.calibrate``). ``--write`` records
it in ``reader.json``; the in-paragraph cut is kept there beside it.

    python -m rag.eval.calibrate ../shared/data/squad [--coverage 0.9] [--write]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rag.reader import data as D
from rag.reader.calibrate import best_threshold, coverage_threshold, roc_auc
from rag.service import Service
from rag.settings import Settings

log = logging.getLogger(__name__)


def write_articles(articles: list[dict[str, Any]], positions: range, folder: Path) -> int:
    """One text file (with a title sidecar) per chosen article; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for pos in positions:
        art = articles[pos]
        title = art["title"].replace("_", " ")
        name = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower() or f"article-{pos}"
        paras = [p["context"].strip() for p in art["paragraphs"]]
        (folder / f"{pos:03d}-{name}.txt").write_text("\n\n".join([title, *paras]) + "\n")
        (folder / f"{pos:03d}-{name}.meta.json").write_text(json.dumps({"title": title}))
        n += 1
    return n


def best_in_product(
    service: Service, questions: list[str], *, progress: bool = True
) -> list[float]:
    """The best-sentence probability ``/ask`` would abstain on, for each question."""
    answerer = service.answerer
    out = []
    for q in tqdm(questions, desc="calibration questions", disable=not progress):
        out.append(answerer.evidence(q, service.retriever()).best)
    return out


def calibrate(
    squad: Path,
    *,
    settings: Settings | None = None,
    coverage: float = 0.90,
    progress: bool = True,
    limit: int | None = None,
) -> dict[str, Any]:
    """Index the calibration articles in a temporary folder and choose the threshold."""
    v2 = D.load_json(squad, "v2dev")
    positions = D.v2_calibration_positions(len(v2))
    qs = D.questions(v2, positions=iter(positions))[:limit]
    with tempfile.TemporaryDirectory(prefix="rag-calibrate-") as tmp:
        corpus = Path(tmp) / "corpus"
        n_articles = write_articles(v2, positions, corpus)
        base = settings or Settings()
        data = Path(tmp) / "data"  # never the user's index, whatever RAG_INDEX_DIR says
        s = base.model_copy(
            update={"data_dir": data, "corpus_dir": corpus, "index_dir": data / "index"}
        )
        service = Service(s)
        summary = service.ingest([corpus], progress=progress)
        if summary.failed:
            raise RuntimeError(f"calibration articles failed to index: {summary.failed}")
        probs = best_in_product(service, [q.question for q in qs], progress=progress)
        chunks = service.snapshot().n_chunks
    labels = [int(q.answer_sentence is not None) for q in qs]
    y, p = np.asarray(labels, dtype=bool), np.asarray(probs)
    cut = coverage_threshold(labels, probs, coverage)
    acc_cut = best_threshold(labels, probs)
    return {
        "threshold": round(cut, 4),
        "coverage": coverage,
        "articles": n_articles,
        "chunks": chunks,
        "questions": len(qs),
        "unanswerable": int((~y).sum()),
        "auc": roc_auc(labels, probs),
        "accuracy": float(np.mean((p >= cut) == y)),
        "abstained_unanswerable": float(np.mean(p[~y] < cut)) if (~y).any() else float("nan"),
        "accuracy_cut": round(acc_cut, 4),
        "accuracy_at_accuracy_cut": float(np.mean((p >= acc_cut) == y)),
    }


def describe(r: dict[str, Any]) -> str:
    return (
        f"the highest cut answering {r['coverage']:.0%} of the answerable questions of the "
        f"SQuAD 2.0 dev articles at positions 2, 10, 18, ... asked as /ask asks them: "
        f"{r['articles']} articles indexed as publications ({r['chunks']} chunks), each "
        f"question retrieved over all of them and its top passages read "
        f"({r['questions']} questions, {r['unanswerable']} unanswerable; answerability AUC "
        f"{r['auc']:.4f}, accuracy {r['accuracy']:.4f}, abstaining on "
        f"{r['abstained_unanswerable']:.2%} of the unanswerable); the accuracy-optimal cut "
        f"there is {r['accuracy_cut']:.4f} (accuracy {r['accuracy_at_accuracy_cut']:.4f})"
    )


def write(model_dir: Path, r: dict[str, Any], *, int8: bool = False) -> None:
    """Record the product-setting threshold in ``reader.json`` under the key of the
    precision it was measured in, the in-paragraph one beside it."""
    from rag.reader.reader import threshold_key

    key = threshold_key(int8)
    path = model_dir / "reader.json"
    cfg = json.loads(path.read_text())
    if f"{key}_in_paragraph" not in cfg:
        cfg[f"{key}_in_paragraph"] = cfg[key]
        cfg[f"{key}_in_paragraph_from"] = cfg.get(f"{key}_from", "")
    cfg[key] = r["threshold"]
    cfg[f"{key}_from"] = describe(r)
    path.write_text(json.dumps(cfg, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m rag.eval.calibrate", description=__doc__.split("\n")[0]
    )
    ap.add_argument("squad", type=Path)
    ap.add_argument("--coverage", type=float, default=0.90)
    ap.add_argument("--limit", type=int, default=None, help="first N questions (a smoke test)")
    ap.add_argument("--write", action="store_true", help="record the threshold in reader.json")
    ap.add_argument("--model", type=Path, default=None, help="the reader folder to write into")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = Settings()
    r = calibrate(args.squad, settings=settings, coverage=args.coverage, limit=args.limit)
    print(json.dumps(r, indent=1))
    print(describe(r))
    if args.write:
        from rag.reader.reader import MODEL_DIR

        write(args.model or MODEL_DIR, r, int8=settings.answer.reader_precision == "int8")


if __name__ == "__main__":
    main()
