"""The reader network on ONNX Runtime, in float32: the same weights and the same
arithmetic as torch (logits agree to about 1e-5), the network alone in about 0.6x
torch's time on 2 cores and ``/ask`` p50 in 0.68x (BENCHMARKS.md, "Query latency").

The graph is exported from the loaded torch network (torch's TorchScript exporter), once,
into the data folder (``rag.artifacts.built_once``), keyed by the checksums of the shipped
weights, of the base model and of ``rag/reader/model.py`` (the network's code), the
export recipe and the versions of torch, transformers and ONNX Runtime. Nothing is
downloaded. A fresh process that finds the file loads it without building the torch
network at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from rag.artifacts import BERT_INPUTS, built_once, cpu_session, export_bert, sha256

log = logging.getLogger(__name__)

# Bumped whenever the export recipe changes, so a cached graph is rebuilt.
ONNX_RECIPE = 2  # 2: traced with eager attention (rag.artifacts.export_bert)
# The graph's outputs in order, each with its dynamic axes.
OUTPUT_AXES = {"logit": {0: "batch"}, "start": {0: "batch", 1: "tokens"},
               "end": {0: "batch", 1: "tokens"}}  # fmt: skip


def source_record(weights_sha256: str, base_sha256: str) -> dict[str, Any]:
    """What the exported graph depends on: both sets of weights, the recipe, the versions."""
    from importlib.metadata import version

    from rag.reader import model

    return {
        "weights_sha256": weights_sha256,
        "base_weights_sha256": base_sha256,
        "network_sha256": sha256(Path(model.__file__)),  # ReaderNet's forward, traced
        "recipe": ONNX_RECIPE,
        "onnxruntime": version("onnxruntime"),
        "torch": version("torch"),
        "transformers": version("transformers"),  # the BERT code that is traced
    }


def export(net: torch.nn.Module, tokenizer: Any, dest: Path) -> None:
    """Write ``net`` (a ``ReaderNet`` in eval mode) as an ONNX graph with dynamic batch and
    length. The exporter traces ``net`` in place; in one early trial the module then
    computed different logits (not reproduced since), so nothing reads with ``net``
    afterwards: ``CrossEncoderReader`` builds a network only to export it."""
    from rag.reader.model import encode

    sample = encode(
        tokenizer, ["a question", "a question"], ["one sentence here", "two"], ["t", ""],
        ["a previous sentence", ""], max_length=32,
    )  # fmt: skip
    inputs = (sample.input_ids, sample.attention_mask, sample.token_type_ids)
    export_bert(net, inputs, dest, OUTPUT_AXES)


class OnnxNet:
    """A callable with ``ReaderNet``'s signature: torch tensors in, (logit, start, end)
    torch tensors out, computed by an ONNX Runtime session (thread-safe)."""

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        self.session = cpu_session(path, threads)

    def __call__(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        tensors = (input_ids, attention_mask, token_type_ids)
        feed = {name: t.numpy() for name, t in zip(BERT_INPUTS, tensors, strict=True)}
        logit, start, end = self.session.run(list(OUTPUT_AXES), feed)
        return torch.from_numpy(logit), torch.from_numpy(start), torch.from_numpy(end)


def graph(
    folder: Path,
    source: dict[str, Any],
    build_net: Callable[[], torch.nn.Module],
    tokenizer: Any,
) -> Path:
    """The reader's ONNX file in ``folder``; ``build_net()`` makes the torch network to
    export, and is called only when the file must be built."""

    def build(dest: Path) -> None:
        log.info("exporting the reader to ONNX (once): %s", dest)
        export(build_net(), tokenizer, dest)

    return built_once(folder, "reader-float32", source, build)
