"""The reader on ONNX Runtime: the shipped float32 network exported once into the data
folder, reading what torch reads (probabilities and spans), and never loading a graph
that no longer matches its record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.reader.reader import MODEL_DIR, CrossEncoderReader

pytestmark = pytest.mark.model

CHECK = json.loads((MODEL_DIR / "reader.json").read_text())["check"]
QUESTION = "Who sponsored the Streets Ahead report?"
SENTENCES = [
    CHECK["sentence"],
    "The research was sponsored by Bristol City Council, Essex University and HEFCE.",
    "Cities are engines of growth.",
    "Streets Ahead asks what makes a city innovative, and which cities are high-tech "
    "innovators, service-sector innovators or neither, with Coventry, Derby and Preston.",
]
TITLES = [CHECK["title"], "Streets Ahead", "", "Streets Ahead"]
CONTEXTS = [CHECK["context"], "", "A previous sentence.", ""]


def test_onnx_runtime_reads_what_torch_reads_and_builds_its_graph_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from rag.reader.model import encode

    torch_reader = CrossEncoderReader()
    onnx_reader = CrossEncoderReader(runtime="onnxruntime", artifact_dir=tmp_path)
    torch_reader.load()
    onnx_reader.load()
    enc = encode(torch_reader._tok, [QUESTION] * 4, SENTENCES, TITLES, CONTEXTS, max_length=112)
    args = (enc.input_ids, enc.attention_mask, enc.token_type_ids)
    with torch.inference_mode():
        for want_t, got_t in zip(torch_reader._net(*args), onnx_reader._net(*args), strict=True):
            assert got_t.shape == want_t.shape
            assert torch.allclose(got_t, want_t, atol=1e-4)  # logits; seen within 1e-5
    for q in (QUESTION, CHECK["question"]):
        want = torch_reader.read(q, SENTENCES, TITLES, CONTEXTS)
        got = onnx_reader.read(q, SENTENCES, TITLES, CONTEXTS)
        assert [g.prob for g in got] == pytest.approx([w.prob for w in want], abs=1e-4)
        assert [g.span for g in got] == [w.span for w in want]
    (check,) = onnx_reader.read(
        CHECK["question"], [CHECK["sentence"]], [CHECK["title"]], [CHECK["context"]]
    )
    assert check.prob == pytest.approx(CHECK["prob"], abs=1e-3)
    built = sorted(tmp_path.glob("reader-float32-*.onnx"))
    assert len(built) == 1 and built[0].with_suffix(".json").exists()
    import onnx

    ops = {node.op_type for node in onnx.load(str(built[0])).graph.node}
    assert "IsNaN" not in ops  # traced with eager attention, not the NaN-guarded default

    # A second process finds the graph and never builds the torch network.
    def no_torch(*_: object) -> None:
        raise AssertionError("the torch network was built although the graph is cached")

    monkeypatch.setattr(CrossEncoderReader, "_torch_net", no_torch)
    again = CrossEncoderReader(runtime="onnxruntime", artifact_dir=tmp_path)
    assert again.read(QUESTION, SENTENCES, TITLES, CONTEXTS) == onnx_reader.read(
        QUESTION, SENTENCES, TITLES, CONTEXTS
    )


def test_a_graph_that_no_longer_matches_its_record_is_rebuilt(tmp_path: Path) -> None:
    first = CrossEncoderReader(runtime="onnxruntime", artifact_dir=tmp_path)
    want = first.read(QUESTION, SENTENCES, TITLES, CONTEXTS)
    (graph,) = tmp_path.glob("reader-float32-*.onnx")
    graph.write_bytes(b"tampered")
    again = CrossEncoderReader(runtime="onnxruntime", artifact_dir=tmp_path)
    got = again.read(QUESTION, SENTENCES, TITLES, CONTEXTS)
    assert [g.prob for g in got] == pytest.approx([w.prob for w in want], abs=1e-6)
    assert graph.read_bytes() != b"tampered"


def test_int8_is_torchs_quantisation_whatever_the_runtime_says(tmp_path: Path) -> None:
    reader = CrossEncoderReader(quantize=True, runtime="onnxruntime", artifact_dir=tmp_path)
    assert reader.runtime == "torch"
    (r,) = reader.read(QUESTION, SENTENCES[1:2], TITLES[1:2], CONTEXTS[1:2])
    assert 0.0 <= r.prob <= 1.0
    assert not list(tmp_path.glob("*.onnx"))  # nothing exported for it


def test_the_onnx_runtime_reader_needs_a_folder_for_its_graph() -> None:
    with pytest.raises(ValueError, match="artifact_dir"):
        CrossEncoderReader(runtime="onnxruntime")


def test_a_failed_export_falls_back_to_torch_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only data folder, a broken onnx install: the reader still reads, on torch."""
    from rag.reader import onnx

    def broken(net: object, tokenizer: object, dest: Path) -> None:
        dest.write_bytes(b"half a graph")  # then the disk fills up
        raise OSError("No space left on device")

    monkeypatch.setattr(onnx, "export", broken)
    reader = CrossEncoderReader(runtime="onnxruntime", artifact_dir=tmp_path)
    with caplog.at_level("WARNING", logger="rag.reader.reader"):
        got = reader.read(QUESTION, SENTENCES, TITLES, CONTEXTS)
    want = CrossEncoderReader().read(QUESTION, SENTENCES, TITLES, CONTEXTS)
    assert [g.prob for g in got] == pytest.approx([w.prob for w in want], abs=1e-6)
    assert reader.runtime == "torch"
    assert "No space left on device" in caplog.text and "reading with torch" in caplog.text
    assert not list(tmp_path.glob("*.onnx")) and not list(tmp_path.glob(".*"))  # no debris


def test_readings_do_not_depend_on_how_the_pairs_are_batched(tmp_path: Path) -> None:
    """Pairs are read in passes of READ_BATCH, shortest (title and context included) first,
    each padded to its own longest pair; a pair's reading is the same in any pass."""
    from rag.reader.reader import READ_BATCH

    reader = CrossEncoderReader(runtime="onnxruntime", artifact_dir=tmp_path)
    assert reader.batch_size == READ_BATCH < len(SENTENCES) * 3
    sentences, titles, contexts = SENTENCES * 3, TITLES * 3, CONTEXTS * 3
    widths: list[int] = []
    reader.load()
    real = reader._net

    def recording(ids: object, mask: object, types: object) -> object:
        widths.append(int(ids.shape[1]))  # type: ignore[attr-defined]
        return real(ids, mask, types)

    reader._net = recording
    batched = reader.read(QUESTION, sentences, titles, contexts)
    reader._net = real
    assert len(widths) == -(-len(sentences) // READ_BATCH)
    assert widths == sorted(widths) and widths[0] < widths[-1]  # shortest first, less padding
    reader.batch_size = len(sentences)  # all in one pass
    whole = reader.read(QUESTION, sentences, titles, contexts)
    assert [b.prob for b in batched] == pytest.approx([w.prob for w in whole], abs=1e-5)
    assert [b.span for b in batched] == [w.span for w in whole]
