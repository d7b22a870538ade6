"""Reader quality on SQuAD, side by side with the baselines: the `reader` section.

Usage: python -m rag.bench.reader [--quick | --from-json=REPORT]   (needs ../shared/data/squad)

``--from-json`` writes the section from a report that ``rag eval reader --output``
saved (the same evaluation, so it is not run twice).

Runs ``rag eval reader`` (``rag.eval.reader.evaluate_reader``) with the reader
shipped in the package, the bi-encoder cosine and the hand-tuned heuristic it
replaced, over every SQuAD 1.1 dev question and the odd-position SQuAD 2.0 dev
articles, and writes the table with its method into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rag.answer import model_reader
from rag.bench.report import stamp, table, write_section
from rag.embed import make_embedder
from rag.eval.reader import evaluate_reader
from rag.reader.reader import MODEL_DIR, threshold_key
from rag.settings import PROJECT_ROOT, get_settings
from rag.text import english_stemmer

SQUAD = PROJECT_ROOT.parent / "shared" / "data" / "squad"


def main() -> None:
    if not SQUAD.exists():
        print(f"skipped: {SQUAD} not found (the SQuAD files live in ../shared/data/squad)")
        return
    quick = "--quick" in sys.argv
    saved = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--from-json=")), None)
    if saved:  # a report written by `rag eval reader --output FILE` with the shipped reader
        report = json.loads(Path(saved).read_text())
    else:
        s = get_settings()
        report = evaluate_reader(
            SQUAD, reader=model_reader(s),
            stemmer=english_stemmer(),
            embedder=make_embedder(s.embedding, cache_dir=s.cache_dir),
            limit=1000 if quick else None,
        )  # fmt: skip
    cfg = json.loads((MODEL_DIR / "reader.json").read_text())
    precision = get_settings().answer.reader_precision
    key = threshold_key(precision == "int8")
    cmd = "python -m rag.bench.reader" + (" --quick" if quick else "")
    r = report["reader"]
    md = stamp(cmd) + (
        f"\n**Method.** `rag eval reader ../shared/data/squad` (`rag/eval/reader.py`): "
        f"{r['dev_questions']:,} SQuAD 1.1 dev questions, each choosing among its paragraph's "
        "sentences (the product's splitter); a question whose answer the loader cannot place in "
        "one sentence counts as a miss. Span EM/F1 use SQuAD's normalisation and score 0 for a "
        "wrong sentence; the baselines have no span head and predict the whole sentence. "
        "*Top-1 worded away*: the same over the "
        f"{r.get('worded_away_questions', 0):,} dev questions sharing under half their "
        "content words (stemmed) with their answer sentence, worded as users word theirs. "
        f"Answerability: {r['v2_questions']:,} questions ({r['v2_unanswerable']:,} unanswerable) "
        "of the SQuAD 2.0 dev articles at odd positions, never trained, tuned or calibrated on; "
        "ROC AUC of the best sentence's score (the heuristic: its old confidence), accuracy at "
        "the method's threshold. The reader's threshold is the shipped one for its precision "
        f"({cfg[key]}: {cfg.get(key + '_from', '')}); the baselines' is their "
        "best-accuracy cut on the same calibration articles. Throughput is pairs scored per "
        f"second in one process on this machine (the reader in {precision}, batch 32; the "
        "baselines embed "
        "each distinct text once through the embedding cache, so a re-run counts cache hits).\n\n"
    )
    md += table(
        ["method", "sentence top-1", "top-1 worded away", "span EM", "span F1", "answerability AUC",
         "accuracy at threshold", "threshold", "pairs/s"],
        [[name, m["sentence_top1"], m.get("sentence_top1_worded_away", "-"), m["span_em"], m["span_f1"], m["answerability_auc"],
          m["answerability_acc"], m["threshold"], m["pairs_per_s"]]
         for name, m in report.items()],
    )  # fmt: skip
    write_section("reader", md)
    print(md)


if __name__ == "__main__":
    main()
