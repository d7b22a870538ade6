"""The training loss's null option: a group without an answer is pushed, as one
question, below a "no sentence answers" option of logit 0, its best sentence most."""

from __future__ import annotations

import math

import torch

from rag.embed import default_model_path
from rag.reader.groups import Pair
from rag.reader.model import load_tokenizer
from rag.reader.train import loss_of

TOK = load_tokenizer(default_model_path())


class FixedLogits(torch.nn.Module):
    """Stands in for the network: the given answer logits, flat span logits."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = torch.nn.Parameter(torch.tensor(logits))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> tuple:
        flat = torch.zeros(ids.shape, dtype=torch.float32)
        return self.logits, flat, flat


def group(labels: list[int]) -> list[Pair]:
    return [
        Pair("who?", "T", f"Sentence {i}.", y, (0, 8) if y else None, "")
        for i, y in enumerate(labels)
    ]


def test_a_group_without_an_answer_is_pushed_below_the_null_option() -> None:
    logits = [2.0, -1.0, 0.5]
    net = FixedLogits(logits)
    without = loss_of(net, TOK, [group([0, 0, 0])], 112, False)  # type: ignore[arg-type]
    with_null = loss_of(net, TOK, [group([0, 0, 0])], 112, False, null_option=True)  # type: ignore[arg-type]
    expected = math.log(sum(math.exp(x) for x in [*logits, 0.0]))  # -log p(null)
    assert abs(float((with_null - without).detach()) - expected) < 1e-5
    net.zero_grad()
    (with_null - without).backward()
    assert net.logits.grad is not None
    grad = net.logits.grad.tolist()
    assert all(g > 0 for g in grad) and max(grad) == grad[0]  # every logit down, the best most


def test_an_answered_group_also_sets_its_answer_above_the_null_option() -> None:
    net = FixedLogits([1.0, 0.0, -2.0])
    plain = loss_of(net, TOK, [group([1, 0, 0])], 112, False)  # type: ignore[arg-type]
    with_null = loss_of(net, TOK, [group([1, 0, 0])], 112, False, null_option=True)  # type: ignore[arg-type]
    ls = [1.0, 0.0, -2.0]
    listwise = -1.0 + math.log(sum(math.exp(x) for x in ls))
    listwise_null = -1.0 + math.log(sum(math.exp(x) for x in [*ls, 0.0]))
    assert abs(float((with_null - plain).detach()) - (listwise_null - listwise)) < 1e-5
