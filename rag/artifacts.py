"""Files built once from installed weights and kept in the data folder: the int8 embedder
and the reader's ONNX graph.

``built_once(folder, stem, source, build)`` returns ``folder/<stem>-<key>.onnx`` where the
key hashes ``source`` (what the file is built from: weights checksums, recipe, library
versions). Beside it a ``.json`` record keeps ``source`` and the file's sha256; a file
whose record or checksum does not match is rebuilt, never loaded. Builds write to a
temporary name and are moved into place, so a crash never leaves a half-written file
under the real name; the next build deletes what a killed one left.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BERT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
"""The inputs of every exported BERT graph, in order."""


def sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):  # noqa: B023 - f is bound per loop
            h.update(block)
    return h.hexdigest()


def built_once(
    folder: Path, stem: str, source: dict[str, Any], build: Callable[[Path], None]
) -> Path:
    """The file built from ``source``, building it with ``build(dest)`` if it is missing or
    does not match its record."""
    key = hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(folder) / f"{stem}-{key}.onnx"
    record = path.with_suffix(".json")
    try:
        meta = json.loads(record.read_text())
        if meta.get("source") == source and meta.get("sha256") == sha256(path):
            return path
        log.warning("%s does not match its checksum; rebuilding it", path)
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path.parent, stem)
    log.info("building %s (once)", path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp_record = record.with_name(f".{record.name}.{os.getpid()}.tmp")
    try:
        build(tmp)
        meta = {"source": source, "sha256": sha256(tmp)}
        os.replace(tmp, path)
        tmp_record.write_text(json.dumps(meta, indent=1) + "\n")
        os.replace(tmp_record, record)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_record.unlink(missing_ok=True)
    return path


def _sweep(folder: Path, stem: str) -> None:
    """Delete temporary files that a killed build left (their process is gone)."""
    for f in folder.glob(f".{stem}-*.tmp"):
        try:
            pid = int(f.name.rsplit(".", 2)[-2])
            os.kill(pid, 0)  # still running: its build is in progress
        except ProcessLookupError:
            f.unlink(missing_ok=True)
        except (ValueError, OSError):
            pass


def export_bert(
    net: Any, inputs: tuple[Any, ...], dest: Path, outputs: dict[str, dict[int, str]]
) -> None:
    """Write ``net`` (a torch module taking :data:`BERT_INPUTS`) as an ONNX graph with
    torch's TorchScript exporter: batch and length dynamic on every input, ``outputs``
    naming each output with its dynamic axes, the exporter's notices kept out of the log.

    The transformer is traced with its plain ("eager") attention: the default
    scaled-dot-product path traces into NaN guards (``IsNaN`` and ``Where`` over every
    attention matrix) that took 42 % of the int8 embedder's time in ONNX Runtime's
    profile, and it hid the attention from ONNX Runtime's BERT fusion (BENCHMARKS.md,
    Indexing pace). The logits are the same to 3e-6. ``net`` is changed in place."""
    import torch

    for module in net.modules():
        if hasattr(module, "set_attn_implementation"):  # the Hugging Face model inside
            module.set_attn_implementation("eager")

    axes = {name: {0: "batch", 1: "tokens"} for name in BERT_INPUTS} | outputs
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notices
        torch.onnx.export(
            net,
            inputs,
            str(dest),
            input_names=list(BERT_INPUTS),
            output_names=list(outputs),
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def cpu_session(path: Path, threads: int | None = None) -> Any:
    """An ONNX Runtime session on the CPU: ``threads`` intra-op threads (None: one per
    core), one inter-op thread, warnings and below kept out of the log."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or 0
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
