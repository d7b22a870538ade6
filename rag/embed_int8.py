"""all-MiniLM-L6-v2 in int8 on ONNX Runtime, built locally from the installed weights.

The model is exported to ONNX (torch's TorchScript exporter), its BERT operators fused
(``onnxruntime.transformers``) and its weights quantized to int8 per channel
(``onnxruntime.quantization.quantize_dynamic``), once, into the data folder beside a
record of its sha256 and of what it was built from. Nothing is downloaded. Chosen over
torch's own dynamic quantization, which was as fast here but far less faithful
(minimum cosine to float32 0.876 against 0.991; BENCHMARKS.md, "Indexing pace").
"""

from __future__ import annotations

import logging
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.artifacts import BERT_INPUTS, built_once, cpu_session, export_bert, sha256
from rag.errors import ModelError

log = logging.getLogger(__name__)

# Bumped whenever the export or quantization recipe changes, so a cached file is rebuilt.
INT8_RECIPE = 2  # 2: traced with eager attention (no NaN guards; attention fused)


def _export_int8(model_path: Path, dest: Path) -> None:
    """all-MiniLM-L6-v2's transformer to ONNX (TorchScript exporter), BERT operator fusion
    (onnxruntime.transformers), then dynamic int8 quantization of the weights, per channel.
    Everything runs from the local folder: nothing is downloaded."""
    import torch
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    class Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    cfg = AutoConfig.from_pretrained(str(model_path), local_files_only=True)
    net = Hidden(AutoModel.from_pretrained(str(model_path), local_files_only=True)).eval()
    tok = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    sample = tok(["an example", "another example sentence"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        raw, fused = Path(tmp) / "model.onnx", Path(tmp) / "model.fused.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the optimizer's and quantizer's notices too
            export_bert(
                net,
                tuple(sample[k] for k in BERT_INPUTS),
                raw,
                {"hidden": {0: "batch", 1: "tokens"}},
            )
            opt = optimizer.optimize_model(
                str(raw),
                model_type="bert",
                num_heads=int(cfg.num_attention_heads),
                hidden_size=int(cfg.hidden_size),
                opt_level=1,
            )
            opt.save_model_to_file(str(fused))
            # ONNX Runtime's quantizer logs an advisory on the root logger ("consider to run
            # pre-processing"); it names nothing a user can act on, so keep it out of the log.
            advisory = _DropAdvisory()
            logging.getLogger().addFilter(advisory)
            try:
                quantize_dynamic(
                    str(fused),
                    str(dest),
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    extra_options={"DefaultTensorType": TensorProto.FLOAT},
                )
            finally:
                logging.getLogger().removeFilter(advisory)


class _DropAdvisory(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


class OnnxInt8Embedder:
    """all-MiniLM-L6-v2 with int8 weights on ONNX Runtime's CPU kernels (VNNI where the CPU
    has it): the same tokenizer, mean pooling and normalisation as sentence-transformers.

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
        self._session: Any = None
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
            "onnxruntime": version("onnxruntime"),
            "torch": version("torch"),  # read without importing it: loading stays light
        }

    def artifact(self) -> Path:
        """The int8 ONNX file, built (once) if missing or if its checksum does not match."""
        return built_once(
            self.artifact_dir,
            "minilm-int8",
            self.source_record(),
            lambda dest: _export_int8(self.model_path, dest),
        )

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                from tokenizers import Tokenizer

                self._session = cpu_session(self.artifact(), self.threads)
                tok = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
                tok.enable_truncation(self.max_tokens)
                tok.no_padding()  # the file pads to 128; each text runs alone, unpadded
                self._tokenizer = tok
        return self._session, self._tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tok = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # One text per run. The graph quantizes its activations with one scale for the
        # whole input, so in a batch a text's vector would depend on the texts (and the
        # padding) beside it. Alone, each text gets the vector a query of the same words
        # gets, closer to float32, and on 2 cores sooner: no padding, a smaller working
        # set (BENCHMARKS.md, "Indexing pace"). Tokenising stays batched.
        for start in range(0, len(texts), self.batch_size):
            for j, enc in enumerate(tok.encode_batch(list(texts[start : start + self.batch_size]))):
                ids = np.array([enc.ids], dtype=np.int64)
                feed = {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
                }
                out[start + j] = session.run(None, feed)[0][0].mean(axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
