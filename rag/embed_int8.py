"""all-MiniLM-L6-v2 with int8 weights on OpenVINO, built locally from the installed weights.

The transformer is exported to ONNX (torch's TorchScript exporter, eager attention) and its
linear layers' weights stored as int8, one scale per output channel, behind
``DequantizeLinear`` nodes: once, into the data folder beside a record of its sha256 and of
what it was built from. Nothing is downloaded. OpenVINO's CPU plugin reads that graph as
int8-compressed weights; the rest of the arithmetic runs in bfloat16 where the CPU has it
(OpenVINO's default there), else float32.

Chosen over ONNX Runtime's dynamic int8 (recipes 1 and 2), which takes one activation
scale for a run's whole input: a text's vector there depended on whatever ran beside it,
so each text had to run alone, and its vectors were further from float32 (minimum cosine
0.987-0.992 against 0.996). Here a text's vector depends only on its own word pieces, so
texts of the same length run together in batches, unpadded, and two streams (one per core
on 2 cores) take batches in turn: about 1.15-1.2x the indexing pace of one text a run
on ONNX Runtime, with a query about 1.3 ms slower and an ingest's peak memory about
0.8 GiB against 0.2 (BENCHMARKS.md, "Indexing pace"). Torch's own dynamic quantization
was far less faithful (minimum cosine 0.876).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.artifacts import BERT_INPUTS, built_once, export_bert, sha256
from rag.errors import ModelError

log = logging.getLogger(__name__)

# Bumped whenever the export or quantization recipe changes, so a cached file is rebuilt.
# 1: ONNX Runtime dynamic int8; 2: the same traced with eager attention;
# 3: int8 weights per output channel, run on OpenVINO (texts of one length batched).
INT8_RECIPE = 3

# OpenVINO's DYNAMIC_QUANTIZATION_GROUP_SIZE (its default on this version is 32). A by-hand
# trial, one text a run on 100 of the pace bench's cut abstracts, chosen on speed alone:
# 384 ran fastest (0 and 32-128 were 2-45 % slower); minimum cosine to float32 0.996-0.999.
GROUP_SIZE = 384

# Compiled kernels OpenVINO keeps per input shape (its default, 5,000, let memory grow with
# every new length and batch size: 650 -> 1,144 MiB over 2,100 chunks). 100 held it at
# 616-726 MiB at the same speed (by-hand trial, BENCHMARKS.md).
RUNTIME_CACHE = 100


def int8_weights(model: Any, min_rows: int = 64) -> int:
    """Store every ``MatMul`` weight (a 2-D initializer with at least ``min_rows`` rows) of
    the ONNX ``model`` as int8 with one symmetric scale per output channel, read through a
    ``DequantizeLinear`` node. Changes ``model`` in place; returns how many were stored.

    Written here rather than taken from a quantization library: ONNX Runtime's quantizer
    writes its own int8 operators (which OpenVINO does not read as compressed weights), and
    NNCF, OpenVINO's, is a large dependency for these twenty lines."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes, done = [], 0
    for node in graph.node:
        init = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        w = numpy_helper.to_array(init) if init is not None else None
        if w is not None and w.ndim == 2 and w.shape[0] >= min_rows:
            scale = np.abs(w).max(axis=0) / 127.0
            scale[scale == 0] = 1.0
            q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            name = node.input[1]
            graph.initializer.remove(init)
            graph.initializer.extend(
                [
                    numpy_helper.from_array(q, f"{name}_int8"),
                    numpy_helper.from_array(scale.astype(np.float32), f"{name}_scale"),
                    numpy_helper.from_array(np.zeros(w.shape[1], np.int8), f"{name}_zero"),
                ]
            )
            nodes.append(
                helper.make_node(
                    "DequantizeLinear",
                    [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                    [f"{name}_dequantized"],
                    axis=1,
                    name=f"{name}_DequantizeLinear",
                )
            )
            node.input[1] = f"{name}_dequantized"
            done += 1
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    return done


def _export_int8(model_path: Path, dest: Path) -> None:
    """all-MiniLM-L6-v2's transformer to ONNX (TorchScript exporter, eager attention), its
    linear layers' weights stored as int8. Everything runs from the local folder."""
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
        model = onnx.load(str(raw))
    if int8_weights(model) == 0:
        raise ModelError(f"{model_path}: no linear layer found to store in int8")
    onnx.save(model, str(dest))


class OpenVinoInt8Embedder:
    """all-MiniLM-L6-v2 with int8 weights on OpenVINO's CPU plugin (the arithmetic around
    them in bfloat16 where the CPU has it, else float32): the same tokenizer, mean pooling
    and normalisation as sentence-transformers.

    Texts are grouped by their exact length in word pieces and each group runs in batches
    of up to ``batch_size``, unpadded; the batches are shared among OpenVINO's streams (its
    THROUGHPUT hint: one stream per core on 2 cores). A text's vector is the same alone as
    in any batch. One text (a query) runs on a second compiled model that spreads it over
    every thread (LATENCY hint).

    The int8 model is built from the local weights on first use and kept in
    ``artifact_dir`` with a ``.json`` record of its sha256 and of what it was built from;
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
        }

    def artifact(self) -> Path:
        """The int8 ONNX file, built (once) if missing or if its checksum does not match."""
        return built_once(
            self.artifact_dir,
            "minilm-int8",
            self.source_record(),
            lambda dest: _export_int8(self.model_path, dest),
        )

    def _load(self) -> Any:
        """The tokenizer, loading the tokenizer and OpenVINO's reading of the int8 graph once."""
        with self._lock:
            if self._tokenizer is None:
                import openvino as ov
                from tokenizers import Tokenizer

                core = ov.Core()
                self._graph = (core, core.read_model(str(self.artifact())))
                tok = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
                tok.enable_truncation(self.max_tokens)
                tok.no_padding()  # the file pads to 128; texts run unpadded
                self._tokenizer = tok
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
                    "DYNAMIC_QUANTIZATION_GROUP_SIZE": GROUP_SIZE,
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
            single = self._compiled("LATENCY").create_infer_request()
            out[0] = single.infer(_feed([ids[0]]))[0][0].mean(axis=0)
        else:
            self._run_batches(self._compiled("THROUGHPUT"), ids, out)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _run_batches(self, model: Any, ids: list[list[int]], out: np.ndarray) -> None:
        """Texts of one length together, ``batch_size`` at a time, on every stream."""
        import openvino as ov

        by_length: dict[int, list[int]] = defaultdict(list)
        for i, row in enumerate(ids):
            by_length[len(row)].append(i)
        queue = ov.AsyncInferQueue(model)

        def done(request: Any, rows: list[int]) -> None:
            out[rows] = request.get_output_tensor(0).data.mean(axis=1)

        queue.set_callback(done)
        for rows in by_length.values():
            for start in range(0, len(rows), self.batch_size):
                part = rows[start : start + self.batch_size]
                queue.start_async(_feed([ids[i] for i in part]), part)
        queue.wait_all()


def _feed(rows: list[list[int]]) -> dict[str, np.ndarray]:
    """The graph's inputs for texts of one length (no padding: the mask is all ones)."""
    ids = np.array(rows, dtype=np.int64)
    return {
        "input_ids": ids,
        "attention_mask": np.ones_like(ids),
        "token_type_ids": np.zeros_like(ids),
    }
