"""all-MiniLM-L6-v2 in int8 on OpenVINO, built locally from the installed weights.

The transformer is exported to ONNX (torch's TorchScript exporter, eager attention) and
quantized by NNCF, OpenVINO's quantization library: its linear layers run on int8 weights
(one scale per output channel) and int8 activations (one scale per tensor, measured on
300 bundled calibration texts, ``rag.embed_calibration``), after SmoothQuant has moved
the activations' outlier channels into the weights. Built once, into the data folder
beside a record of its sha256 and of what it was built from; nothing is downloaded.
OpenVINO's CPU plugin runs those products on int8 dot products (VNNI) and the rest in
bfloat16 where the CPU has it, else float32.

Two kinds of product stay in float (``FLOAT_PRODUCTS``): attention's own two (in int8
they ran slower here, and they hold no weights) and the first layer's FFN output, whose
int8 activations moved vectors furthest (minimum cosine to float32 on development texts
0.991 with it in int8, 0.996 without; BENCHMARKS.md, "Indexing pace").

Texts are padded (masked) to the next multiple of 16 word pieces and those of one padded
length run together in batches, shared among OpenVINO's streams; a text alone is padded
the same way, so its vector depends only on its own word pieces (the activation scales
are fixed, not measured per run).

Chosen over recipe 3 (int8 weights, bfloat16 arithmetic, exact lengths) for speed at the
same closeness to float32; over ONNX Runtime's dynamic int8 (recipes 1 and 2), whose
per-run activation scale made a vector depend on its neighbours; and over torch's dynamic
quantization (minimum cosine 0.876).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.artifacts import BERT_INPUTS, built_once, export_bert, sha256
from rag.embed_calibration import FILE as CALIBRATION
from rag.embed_calibration import texts as calibration_texts
from rag.errors import ModelError

log = logging.getLogger(__name__)

# Bumped whenever the export or quantization recipe changes, so a cached file is rebuilt.
# 1: ONNX Runtime dynamic int8; 2: the same traced with eager attention;
# 3: int8 weights per output channel, run on OpenVINO (texts of one length batched);
# 4: int8 weights and activations by NNCF (SmoothQuant, calibrated), on OpenVINO.
INT8_RECIPE = 4

# Matrix products kept in float, by the end of their ONNX node names (see the docstring).
FLOAT_PRODUCTS = ("attention/self/MatMul", "attention/self/MatMul_1", "layer.0/output/dense/MatMul")

# Texts run padded (masked) to the next multiple of this many word pieces, alone or in a
# batch, so a text's vector does not depend on what runs beside it, and OpenVINO compiles
# kernels for 16 lengths rather than 256: on 2,148 chunks of development texts (SciFact
# abstracts 3,000-4,500), fresh compiles each round, 1.15x unpadded batches of one exact
# length, vectors unchanged; in another run 8 / 32 / 64 ran at 0.98 / 0.96 / 0.86 of 16
# (BENCHMARKS.md, "Indexing pace").
PAD_TO = 16

# Compiled kernels OpenVINO keeps per input shape (its default, 5,000, let memory grow with
# every new length and batch size: 650 -> 1,144 MiB over 2,100 chunks). 100 held it at
# 616-726 MiB at the same speed (by-hand trial, BENCHMARKS.md).
RUNTIME_CACHE = 100


def quantize(model: Any, feeds: list[dict[str, np.ndarray]]) -> Any:
    """The ONNX ``model`` quantized by NNCF on ``feeds`` (one text's inputs each): int8
    weights and activations for every matrix product but ``FLOAT_PRODUCTS``, after
    SmoothQuant (NNCF's transformer preset, its defaults otherwise)."""
    # NNCF stubs its usage telemetry when NNCF_CI is set at import, so it sends and counts
    # nothing (OpenVINO's own import still keeps a usage counter in ~/intel/stats)
    saved = os.environ.get("NNCF_CI")
    os.environ["NNCF_CI"] = "1"
    try:
        import nncf
    finally:
        if saved is None:
            del os.environ["NNCF_CI"]
        else:
            os.environ["NNCF_CI"] = saved
    nncf.set_log_level(logging.WARNING)
    kept = [
        node.name
        for node in model.graph.node
        if node.op_type == "MatMul" and node.name.endswith(FLOAT_PRODUCTS)
    ]
    # its progress bars go to stderr: stdout may be carrying `--json` output
    with contextlib.redirect_stdout(sys.stderr):
        return nncf.quantize(
            model,
            nncf.Dataset(feeds),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(feeds),
            ignored_scope=nncf.IgnoredScope(names=kept),
        )


def _export_int8(model_path: Path, dest: Path, calibration: list[list[int]]) -> None:
    """all-MiniLM-L6-v2's transformer to ONNX (TorchScript exporter, eager attention),
    quantized on the ``calibration`` texts' word pieces. Everything runs from the local
    folder."""
    import onnx
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    net = Hidden(AutoModel.from_pretrained(str(model_path), local_files_only=True)).eval()
    tok = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    sample = tok(["an example", "another example sentence"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        raw = Path(tmp) / "model.onnx"
        export_bert(
            net, tuple(sample[k] for k in BERT_INPUTS), raw, {"hidden": {0: "batch", 1: "tokens"}}
        )
        model = quantize(onnx.load(str(raw)), [_feed([ids], pad=False) for ids in calibration])
    if not any(node.op_type == "QuantizeLinear" for node in model.graph.node):
        raise ModelError(f"{model_path}: no matrix product was quantized to int8")
    onnx.save(model, str(dest))


class OpenVinoInt8Embedder:
    """all-MiniLM-L6-v2 in int8 on OpenVINO's CPU plugin (int8 matrix products, the rest in
    bfloat16 where the CPU has it, else float32): the same tokenizer, mean pooling and
    normalisation as sentence-transformers.

    Texts are padded (masked) to the next multiple of ``PAD_TO`` word pieces, grouped by that
    length, and each group runs in batches of up to ``batch_size``; the batches are shared
    among OpenVINO's streams (its THROUGHPUT hint: one stream per core on 2 cores). A
    text's vector is the same alone as in any batch. One text (a query) runs on a second
    compiled model that spreads it over every thread (LATENCY hint).

    The int8 model is built from the local weights on first use (about 40 s: the
    calibration texts run through the float model) and kept in ``artifact_dir`` with a
    ``.json`` record of its sha256 and of what it was built from;
    a file whose checksum does not match is rebuilt, never loaded.
    """

    dim = 384

    def __init__(
        self,
        model_path: Path,
        *,
        name: str,
        artifact_dir: Path,
        max_tokens: int = 256,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        self.model_path = Path(model_path)
        self.artifact_dir = Path(artifact_dir)
        self.max_tokens = max_tokens
        self.threads = threads
        self.batch_size = batch_size
        # the recipe is in the id, so vectors of another graph are never mixed in a cache
        self.model_id = f"{name}@int8-r{INT8_RECIPE}"
        self._models: dict[str, Any] = {}
        self._graph: tuple[Any, Any] | None = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def source_record(self) -> dict[str, Any]:
        """What the cached int8 file depends on: the weights' checksum, the recipe, versions."""
        from importlib.metadata import version

        weights = self.model_path / "model.safetensors"
        if not weights.exists():
            raise ModelError(f"{self.model_path}: no model.safetensors to build the int8 model")
        return {
            "weights_sha256": sha256(weights),
            "recipe": INT8_RECIPE,
            "transformers": version("transformers"),  # the BERT code that is traced
            "torch": version("torch"),  # read without importing it: loading stays light
            "onnx": version("onnx"),
            "nncf": version("nncf"),
            "calibration_sha256": sha256(CALIBRATION),
        }

    def artifact(self) -> Path:
        """The int8 ONNX file, built (once) if missing or if its checksum does not match."""
        return built_once(
            self.artifact_dir,
            "minilm-int8",
            self.source_record(),
            lambda dest: _export_int8(self.model_path, dest, self._calibration()),
        )

    def _calibration(self) -> list[list[int]]:
        """The bundled calibration texts' word pieces, cut as the texts to embed are."""
        tok = _tokenizer(self.model_path, self.max_tokens)
        return [enc.ids for enc in tok.encode_batch(calibration_texts())]

    def _load(self) -> Any:
        """The tokenizer, loading the tokenizer and OpenVINO's reading of the int8 graph once."""
        with self._lock:
            if self._tokenizer is None:
                import openvino as ov

                core = ov.Core()
                self._graph = (core, core.read_model(str(self.artifact())))
                self._tokenizer = _tokenizer(self.model_path, self.max_tokens)
        return self._tokenizer

    def _compiled(self, hint: str) -> Any:
        """The graph compiled for ``hint`` ('THROUGHPUT' for batches, 'LATENCY' for one
        text), once each: an ingest never compiles the second, nor a search the first."""
        with self._lock:
            if hint not in self._models:
                assert self._graph is not None  # _load ran first
                core, graph = self._graph
                config: dict[str, Any] = {
                    "PERFORMANCE_HINT": hint,
                    "CPU_RUNTIME_CACHE_CAPACITY": RUNTIME_CACHE,
                }
                if self.threads:
                    config["INFERENCE_NUM_THREADS"] = self.threads
                self._models[hint] = core.compile_model(graph, "CPU", config)
            return self._models[hint]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tok = self._load()
        ids = [enc.ids for enc in tok.encode_batch(list(texts))]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(ids) == 1:
            feed = _feed(ids)
            single = self._compiled("LATENCY").create_infer_request()
            out[0] = _pooled(single.infer(feed)[0], feed["attention_mask"])[0]
        else:
            self._run_batches(self._compiled("THROUGHPUT"), ids, out)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _run_batches(self, model: Any, ids: list[list[int]], out: np.ndarray) -> None:
        """Texts of one padded length together, ``batch_size`` at a time, on every stream."""
        import openvino as ov

        by_length: dict[int, list[int]] = defaultdict(list)
        for i, row in enumerate(ids):
            by_length[padded_length(len(row))].append(i)
        queue = ov.AsyncInferQueue(model)

        def done(request: Any, job: tuple[list[int], np.ndarray]) -> None:
            rows, mask = job
            out[rows] = _pooled(request.get_output_tensor(0).data, mask)

        queue.set_callback(done)
        for rows in by_length.values():
            for start in range(0, len(rows), self.batch_size):
                part = rows[start : start + self.batch_size]
                feed = _feed([ids[i] for i in part])
                queue.start_async(feed, (part, feed["attention_mask"]))
        queue.wait_all()


def _tokenizer(model_path: Path, max_tokens: int) -> Any:
    """The model's fast tokenizer, cutting at ``max_tokens`` word pieces, never padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.enable_truncation(max_tokens)
    tok.no_padding()  # the file pads to 128; texts are padded here, per batch
    return tok


def padded_length(n: int) -> int:
    """The length a text of ``n`` word pieces runs at: the next multiple of ``PAD_TO``."""
    return -(-n // PAD_TO) * PAD_TO


def _feed(rows: list[list[int]], pad: bool = True) -> dict[str, np.ndarray]:
    """The graph's inputs for texts of one padded length, padding masked out (``pad=False``:
    the longest text's length, for calibration, whose ranges padding must not widen)."""
    longest = max(len(row) for row in rows)
    length = padded_length(longest) if pad else longest
    ids = np.zeros((len(rows), length), dtype=np.int64)  # 0 is [PAD]
    mask = np.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of each text's word-piece vectors, its padding left out (in float32: an int64
    mask would make NumPy multiply in float64, on the thread that holds Python's lock)."""
    weights = mask.astype(np.float32)[..., None]
    return (hidden * weights).sum(axis=1) / weights.sum(axis=1)
