"""Train the reader: ``python -m rag.reader.train ../shared/data/squad`` (``make train-reader``).

Deterministic (fixed seeds, data in file order then shuffled by seed), resumable
(a checkpoint every ``--save-every`` steps in ``--work``; rerun the same command to
continue) and logged. Training data, by question (one group of pairs each):

- SQuAD 1.1 train (all but its last articles): the answer sentence, the paragraph's
  other sentences that BM25 ranks highest for the question (hard negatives), and
  the BM25-best sentence of *another* paragraph of the same article;
- optionally (``--perturb-share``) an unanswerable twin of a SQuAD 1.1 question,
  a name, number or superlative swapped for one its paragraph lacks, read against
  its old answer sentence (``rag.reader.perturb``);
- SQuAD 2.0 dev articles at positions 0, 4, 8, ...: the same for answerable
  questions, and for unanswerable ones the paragraph's BM25-best sentences, all
  negative, so the answer head learns to say "no sentence here answers".

Loss per batch: binary cross-entropy on every pair, a softmax over each answerable
group (the answer sentence against its negatives), and start/end cross-entropy on
the answer sentence's tokens. The result folder holds ``reader.safetensors``
(float16, without the frozen word embeddings), ``reader.json`` and a model card.
"""

from __future__ import annotations

import logging
import random
import time

import numpy as np
import torch
from torch import nn

from rag.artifacts import sha256
from rag.reader import data as D
from rag.reader.calibrate import roc_auc
from rag.reader.export import write_model
from rag.reader.groups import Group, batches, build_groups
from rag.reader.model import (
    FROZEN_PREFIX,
    ReaderNet,
    base_encoder,
    encode,
    load_tokenizer,
    span_targets,
    trainable_state,
)
from rag.reader.options import parse_args

log = logging.getLogger("rag.reader.train")


def loss_of(
    net: ReaderNet,
    tok: object,
    batch: list[Group],
    max_length: int,
    context: bool,
    null_option: bool = False,
) -> torch.Tensor:
    pairs = [p for g in batch for p in g]
    enc = encode(
        tok,
        [p.question for p in pairs],
        [p.sentence for p in pairs],
        [p.title for p in pairs],
        [p.context for p in pairs] if context else None,
        max_length=max_length,
    )
    logit, start, end = net(enc.input_ids, enc.attention_mask, enc.token_type_ids)
    labels = torch.tensor([float(p.label) for p in pairs])
    bce = nn.functional.binary_cross_entropy_with_logits(logit, labels)
    # Listwise: the answer sentence against its group. With ``null_option`` every group
    # also holds a "no sentence answers" option of logit 0, the target of a group without
    # an answer: the question-level choice that abstention makes, with the gradient on
    # the group's best-scoring sentence (SQuAD 2.0 readers' null answer).
    lw, k = [], 0
    for g in batch:
        n = len(g)
        answered = g[0].label == 1
        if answered or null_option:
            scores = logit[k : k + n]
            if null_option:
                scores = torch.cat([scores, scores.new_zeros(1)])
            target = torch.tensor([0 if answered else n])
            lw.append(nn.functional.cross_entropy(scores.unsqueeze(0), target))
        k += n
    listwise = torch.stack(lw).mean() if lw else logit.sum() * 0.0
    s_t, e_t = span_targets(enc, [p.span for p in pairs])
    neg = -1e4
    s_log = start.masked_fill(~enc.span_mask, neg)
    e_log = end.masked_fill(~enc.span_mask, neg)
    if bool((s_t >= 0).any()):
        span = (
            nn.functional.cross_entropy(s_log, s_t, ignore_index=-100)
            + nn.functional.cross_entropy(e_log, e_t, ignore_index=-100)
        ) / 2
    else:
        span = logit.sum() * 0.0
    return bce + listwise + span


@torch.no_grad()
def _sentence_logits(
    net: ReaderNet, tok: object, qs: list[D.Question], max_length: int, context: bool
) -> list[torch.Tensor]:
    """Each question's answer logits over its paragraph's sentences (in eval mode)."""
    net.eval()
    out = []
    for q in qs:
        qq, ss, tt, cc = D.sentence_pairs([q])
        enc = encode(tok, qq, ss, tt, cc if context else None, max_length=max_length)
        logit, _, _ = net(enc.input_ids, enc.attention_mask, enc.token_type_ids)
        out.append(logit)
    net.train()
    return out


@torch.no_grad()
def dev_auc(
    net: ReaderNet, tok: object, qs: list[D.Question], max_length: int, context: bool
) -> float:
    """Answerability ROC AUC of the best sentence's logit (a development check)."""
    best = [float(logit.max()) for logit in _sentence_logits(net, tok, qs, max_length, context)]
    return roc_auc([int(q.answer_sentence is not None) for q in qs], best)


@torch.no_grad()
def dev_top1(
    net: ReaderNet, tok: object, qs: list[D.Question], max_length: int, context: bool
) -> float:
    logits = _sentence_logits(net, tok, qs, max_length, context)
    hits = sum(
        int(int(logit.argmax()) == q.answer_sentence) for q, logit in zip(qs, logits, strict=True)
    )
    return hits / max(1, len(qs))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    from rag.embed import default_model_path

    base = default_model_path()
    train_arts = D.load_json(args.squad, "train")
    stats = D.Stats()
    qs = D.questions(train_arts, positions=iter(D.train_positions(len(train_arts))), stats=stats)
    holdout = [
        q
        for q in D.questions(train_arts, positions=iter(D.holdout_positions(len(train_arts))))
        if q.answer_sentence is not None
    ]
    rng = random.Random(args.seed)
    rng.shuffle(qs)
    qs = sorted(
        qs[args.skip_questions : args.skip_questions + args.questions],
        key=lambda q: (q.article, q.paragraph, q.qid),
    )
    if args.away_share:
        sliced = len(qs)
        qs = D.mix_worded_away(qs, args.away_share)
        log.info(
            "%d of %d questions kept, %.0f%% worded away", len(qs), sliced, 100 * args.away_share
        )
    elif args.max_overlap < 1.0:
        sliced = len(qs)
        qs = D.worded_away(qs, args.max_overlap)
        log.info("%d of %d questions below overlap %.2f", len(qs), sliced, args.max_overlap)
    v2 = D.load_json(args.squad, "v2dev")
    v2qs = D.questions(v2, positions=iter(D.v2_train_positions(len(v2))))
    log.info(
        "SQuAD 1.1 train: %d questions used (%s); SQuAD 2.0 even-position training: %d "
        "(%d unanswerable)",
        len(qs),
        stats,
        len(v2qs),
        sum(q.answer_sentence is None for q in v2qs),
    )
    groups = build_groups(
        qs,
        random.Random(args.seed),
        no_answer_share=args.no_answer_share,
        own_no_answer_share=args.own_no_answer_share,
        perturb_share=args.perturb_share,
    ) + args.v2_repeat * build_groups(v2qs, random.Random(args.seed + 1))
    v2cal = D.questions(v2, positions=iter(D.v2_calibration_positions(len(v2))))
    random.Random(args.seed).shuffle(v2cal)
    v2cal = v2cal[:300]
    plan = batches(groups, per_batch=args.batch, seed=args.seed)
    planned = len(plan)
    if args.steps:
        plan = plan[: args.steps]
    n_pairs = sum(len(g) for b in plan for g in b)
    n_groups = sum(len(b) for b in plan)
    log.info("%d groups, %d pairs, %d steps (of %d planned)", n_groups, n_pairs, len(plan), planned)

    tok = load_tokenizer(base)
    net = ReaderNet(base_encoder(base))
    if args.init is not None:
        from safetensors.torch import load_file

        init = {k: v.float() for k, v in load_file(str(args.init / "reader.safetensors")).items()}
        missing = net.load_state_dict(init, strict=False)
        unexpected = list(missing.unexpected_keys)
        if unexpected or any(not k.startswith(FROZEN_PREFIX) for k in missing.missing_keys):
            raise SystemExit(f"{args.init}: weights do not fit the reader network")
        log.info("initialised from %s (%s)", args.init, sha256(args.init / "reader.safetensors"))
    for name, p in net.named_parameters():
        if name.startswith(FROZEN_PREFIX):
            p.requires_grad_(False)
    head = [
        p for n, p in net.named_parameters() if p.requires_grad and not n.startswith("encoder.")
    ]
    body = [p for n, p in net.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": args.lr}, {"params": head, "lr": args.lr * 10}], weight_decay=0.01
    )
    total = len(plan)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm))
    )
    args.work.mkdir(parents=True, exist_ok=True)
    ckpt = args.work / "checkpoint.pt"
    step, history = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        net.load_state_dict(state["model"], strict=False)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, history = state["step"], state["history"]
        torch.set_rng_state(state["rng"])
        if state.get("total", planned) != total:
            history.append(
                {
                    "step": step,
                    "event": f"resumed with the schedule over {total} "
                    f"steps instead of {state.get('total', planned)}",
                }
            )
        log.info("resumed at step %d of %d", step, total)
    if args.export:
        write_model(net, args, base, history, n_pairs, n_groups)
        return
    net.train()
    t0, seen, run_loss = time.time(), 0, []
    end_step = total if not args.max_steps else min(total, step + args.max_steps)
    while step < end_step:
        batch = plan[step]
        loss = loss_of(
            net, tok, batch, args.max_length, step >= args.context_from_step, args.null_option
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(body + head, 1.0)
        opt.step()
        sched.step()
        step += 1
        seen += sum(len(g) for g in batch)
        run_loss.append(loss.item())
        if step % 20 == 0:
            rate = seen / (time.time() - t0)
            left = sum(len(g) for b in plan[step:end_step] for g in b) / max(rate, 1e-9)
            log.info(
                "step %d/%d loss %.3f  %.1f pairs/s  eta %.0f min",
                step,
                total,
                float(np.mean(run_loss[-20:])),
                rate,
                left / 60,
            )
        if step % args.eval_every == 0 or step == total:
            ctx = step >= args.context_from_step
            acc = dev_top1(net, tok, holdout[:300], args.max_length, ctx)
            auc = dev_auc(net, tok, v2cal, args.max_length, ctx)
            history.append(
                {
                    "step": step,
                    "holdout_train_top1": round(acc, 4),
                    "calibration_auc": round(auc, 4),
                }
            )
            log.info(
                "step %d: top-1 sentence on 300 held-out SQuAD 1.1 train questions %.3f; "
                "answerability AUC on 300 SQuAD 2.0 calibration questions %.3f",
                step,
                acc,
                auc,
            )
        if step % args.save_every == 0 or step == end_step:
            torch.save(
                {
                    "model": trainable_state(net),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "history": history,
                    "total": total,
                    "rng": torch.get_rng_state(),
                },
                ckpt.with_suffix(".tmp"),
            )
            ckpt.with_suffix(".tmp").replace(ckpt)
    if step < total:
        log.info("stopped at step %d of %d (--max-steps); rerun to continue", step, total)
        return
    write_model(net, args, base, history, n_pairs, n_groups)


if __name__ == "__main__":
    main()
