"""The reader shipped in the package: its files match the checksums in its card, it
loads offline from the installed path, and the card's check pair scores as recorded."""

from __future__ import annotations

import hashlib
import json

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
