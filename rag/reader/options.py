"""The options of ``python -m rag.reader.train`` (one parser, kept apart from the loop)."""

from __future__ import annotations

import argparse
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m rag.reader.train",
        description="Train the reader (a cross-encoder with an answer and a span head) on SQuAD.",
    )
    ap.add_argument("squad", type=Path, help="folder with the SQuAD files (../shared/data/squad)")
    ap.add_argument("--out", type=Path, default=Path("data/reader-model"))
    ap.add_argument("--work", type=Path, default=Path("data/reader-train"))
    ap.add_argument("--questions", type=int, default=24000, help="SQuAD 1.1 train questions")
    ap.add_argument(
        "--skip-questions",
        type=int,
        default=0,
        help="skip the first N of the seeded shuffle of SQuAD 1.1 train questions "
        "(a second stage trains on questions the first never saw)",
    )
    ap.add_argument(
        "--max-overlap",
        type=float,
        default=1.0,
        help="keep only the SQuAD 1.1 questions (of the slice) sharing less than this share of "
        "their content words with their answer sentence (questions worded away from the text)",
    )
    ap.add_argument(
        "--away-share",
        type=float,
        default=0.0,
        help="keep every worded-away question of the slice and enough others that the "
        "worded-away make up this share (a mix, so that matching words is not unlearned)",
    )
    ap.add_argument(
        "--no-answer-share",
        type=float,
        default=0.0,
        help="share of SQuAD 1.1 questions that also get a group of on-topic sentences "
        "from other paragraphs, none answering",
    )
    ap.add_argument(
        "--own-no-answer-share",
        type=float,
        default=0.0,
        help="share of SQuAD 1.1 questions that also get a group of their own paragraph's "
        "other sentences, the answer sentence and any holding the answer text left out",
    )
    ap.add_argument(
        "--perturb-share",
        type=float,
        default=0.0,
        help="share of SQuAD 1.1 questions that also get an unanswerable twin "
        "(a name, number or superlative swapped: rag.reader.perturb)",
    )
    ap.add_argument(
        "--v2-repeat", type=int, default=1, help="times each SQuAD 2.0 training group is used"
    )
    ap.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from the weights of this model folder (a second stage)",
    )
    ap.add_argument("--batch", type=int, default=8, help="questions (groups) per step")
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--max-length", type=int, default=112)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many (trial)")
    ap.add_argument(
        "--context-from-step",
        type=int,
        default=0,
        help="from this step on, each sentence is read with the one before it as context",
    )
    ap.add_argument(
        "--steps",
        type=int,
        default=0,
        help="train on the first N batches of the plan only (the schedule decays over N)",
    )
    ap.add_argument(
        "--null-option",
        action="store_true",
        help="give every group's softmax a 'no sentence answers' option, the target of "
        "groups without an answer",
    )
    ap.add_argument(
        "--export",
        action="store_true",
        help="write the model folder from the latest checkpoint and stop (a draft)",
    )
    return ap.parse_args(argv)
