"""The reader shipped in the package: its files match the checksums in its card, it
loads offline from the installed path, and the card's check pair scores as recorded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.reader.reader import MODEL_DIR, CrossEncoderReader

pytestmark = pytest.mark.model

CONFIG = json.loads((MODEL_DIR / "reader.json").read_text())


def test_weights_match_the_checksum_in_the_card() -> None:
    weights = MODEL_DIR / "reader.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert digest == CONFIG["weights_sha256"]
    assert digest in (MODEL_DIR / "MODEL_CARD.md").read_text()
    assert weights.stat().st_size <= 50 * 1024 * 1024


def test_the_check_pair_scores_as_recorded() -> None:
    check = CONFIG["check"]
    (r,) = CrossEncoderReader().read(
        check["question"], [check["sentence"]], [check["title"]], [check["context"]]
    )
    assert r.prob == pytest.approx(check["prob"], abs=0.02)
    assert r.span is not None and check["sentence"][r.span[0] : r.span[1]] == check["span"]
    assert 0.0 < CONFIG["threshold"] < 1.0


def test_an_altered_weights_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for f in MODEL_DIR.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    data = bytearray((tmp_path / "reader.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "reader.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum"):
        CrossEncoderReader(tmp_path).load()


def test_a_missing_model_folder_says_how_to_fix_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelError, match="make train-reader"):
        CrossEncoderReader(tmp_path)


def test_concurrent_reads_give_the_serial_results() -> None:
    """The hostile load run's one 500: requests read in parallel threads, and the fast
    tokenizer keeps its padding state on its shared Rust object, so one thread clipping
    a question (no padding) un-padded another's batch. The real tokenizer runs here; the
    network is a stand-in (its cost only hides the race)."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from rag.embed import default_model_path
    from rag.reader.model import load_tokenizer

    def net(ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> tuple:  # type: ignore[type-arg]
        pos = torch.arange(ids.shape[1], dtype=torch.float32).expand(ids.shape)
        return mask.sum(1).float(), -pos, -pos

    reader = CrossEncoderReader()
    reader._net, reader._tok = net, load_tokenizer(default_model_path())
    sentences = ["word " * n + "end." for n in range(5, 60, 3)]
    titles = ["Streets Ahead"] * len(sentences)
    questions = ["question " * n + "?" for n in range(1, 40)]
    serial = {q: reader.read(q, sentences, titles) for q in questions}

    def same(q: str) -> bool:
        return reader.read(q, sentences, titles) == serial[q]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so the race shows in a short test
    try:
        with ThreadPoolExecutor(8) as pool:
            assert all(pool.map(same, questions * 20))
    finally:
        sys.setswitchinterval(interval)


def test_each_precision_reads_with_its_own_calibrated_threshold(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """float32 is the default (chosen on development data); int8 keeps the threshold
    that was calibrated for int8, not float32's."""
    assert "threshold_int8" in CONFIG and CONFIG["threshold_int8"] != CONFIG["threshold"]
    assert CrossEncoderReader().threshold == CONFIG["threshold"]
    assert CrossEncoderReader(quantize=True).threshold == CONFIG["threshold_int8"]
    for f in MODEL_DIR.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    older = {k: v for k, v in CONFIG.items() if not k.startswith("threshold_int8")}
    (tmp_path / "reader.json").write_text(json.dumps(older))
    assert CrossEncoderReader(tmp_path, quantize=True).threshold == CONFIG["threshold"]


def test_the_answer_stage_reads_in_the_precision_and_runtime_its_settings_name(
    tmp_path: Path,
) -> None:
    from rag.answer import make_reader
    from rag.settings import Settings

    def reader(**answer: str) -> object:
        return make_reader(Settings(data_dir=tmp_path, answer=answer))

    plain, fast = reader(), reader(reader_precision="int8")
    readers = (plain, fast, reader(reader_runtime="torch"))
    assert all(isinstance(r, CrossEncoderReader) for r in readers)
    assert [(r.quantize, r.runtime) for r in readers] == [  # type: ignore[attr-defined]
        (False, "onnxruntime"), (True, "torch"), (False, "torch"),
    ]  # fmt: skip
    assert plain.threshold == CONFIG["threshold"] and fast.threshold == CONFIG["threshold_int8"]
