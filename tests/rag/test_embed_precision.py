"""The int8 embedder: close to float32 on the real model, built once from the installed
weights and cached with its checksum; an index built in one precision is never queried
with vectors of another without a clear message."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.pipeline import Ingestor
from rag.embed import HashEmbedder, make_embedder, precision_of
from rag.errors import IndexMismatch
from rag.records import DocMeta, Document
from rag.settings import EmbeddingSettings, Settings

TEXTS = [
    "Flexible working\nFirms that let staff choose their hours kept them longer.",
    "Youth unemployment rose in the North East after 2008.",
    "Musculoskeletal disorders are the main cause of lost working days in Europe.",
    "What does good work look like for people with long-term health conditions?",
]


class Int8Hash:
    """The hash embedder dressed as an int8 model (the precision is read from the id)."""

    def __init__(self) -> None:
        self.inner = HashEmbedder()
        self.model_id = f"{self.inner.model_id}@int8"
        self.dim = self.inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed(texts)


def test_an_index_of_another_precision_asks_for_a_rebuild(tmp_path: Path) -> None:
    s = Settings(embedding={"backend": "hash"}, data_dir=tmp_path, answer={"reader": "lexical"})
    built = Ingestor(s, embedder=Int8Hash())
    d = Document("d-1", "d.txt", "h", "text", "Work pays when skills grow.", DocMeta(title="Pay"))
    built.ingest_documents([d], progress=False)
    assert precision_of(built.embedder) == "int8"
    reader = Ingestor(s)  # float (hash) vectors
    with pytest.raises(IndexMismatch) as err:
        reader.store.open(reader.fingerprint)
    message = str(err.value)
    assert "precision: index has 'int8', settings say 'float'" in message
    assert "rag ingest --rebuild" in message


@pytest.mark.model
def test_int8_vectors_are_close_to_float32_and_the_model_is_cached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    f32 = make_embedder(EmbeddingSettings(dtype="float32", cache=False, threads=2))
    i8 = make_embedder(EmbeddingSettings(dtype="int8", cache=False, threads=2), cache_dir=tmp_path)
    with caplog.at_level("INFO"):
        a, b = f32.embed(TEXTS), i8.embed(TEXTS)
    assert "building" in caplog.text  # the int8 model was built here, and said so
    assert b.shape == a.shape and b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) >= 0.99
    # a text's vector does not depend on the texts embedded beside it (texts of one length
    # share a batch, unpadded): a query alone gets the stored vector, whatever was
    # ingested with it
    alone = np.stack([i8.embed([t])[0] for t in TEXTS])
    assert np.array_equal(alone, b)
    same_length = [TEXTS[0], TEXTS[0].upper(), "a much longer neighbour " * 40]
    assert np.array_equal(i8.embed(same_length)[0], b[0])
    assert np.array_equal(i8.embed(same_length * 20)[40], b[0])  # in a full batch too
    assert "@int8-r3" in i8.model_id and precision_of(i8) == "int8"
    built = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(built) == 1 and built[0].with_suffix(".json").exists()
    import onnx

    graph = onnx.load(str(built[0])).graph
    ops = [node.op_type for node in graph.node]
    assert "IsNaN" not in ops  # traced with eager attention: no NaN guards
    assert ops.count("DequantizeLinear") == 36  # six layers' Q, K, V, output and FFN weights
    assert {i.data_type for i in graph.initializer if i.name.endswith("_int8")} == {3}  # int8
    # a file that no longer matches its checksum is rebuilt, never loaded
    built[0].write_bytes(b"tampered")
    again = make_embedder(EmbeddingSettings(dtype="int8", cache=False), cache_dir=tmp_path)
    assert np.allclose(again.embed(TEXTS), b, atol=1e-5)
    assert built[0].read_bytes() != b"tampered"


def test_the_precision_and_graph_come_from_the_id_after_the_at() -> None:
    from ingest.pipeline import fingerprint

    class Named(Int8Hash):
        def __init__(self, model_id: str) -> None:
            super().__init__()
            self.model_id = model_id

    s = Settings(embedding={"backend": "hash"})
    plain, old, new = Named("int8-minilm"), Named("minilm@int8"), Named("minilm@int8-r2")
    assert precision_of(plain) == "float"  # a folder named "int8-..." is no int8 model
    assert precision_of(old) == precision_of(new) == "int8"
    # an index built with one int8 graph is refused with another (no mixed vectors)
    assert fingerprint(s, old) != fingerprint(s, new)
    assert fingerprint(s, new)["graph"] == "int8-r2" and fingerprint(s, plain)["graph"] == ""
    # float32 and bfloat16 vectors are interchangeable (cosine 0.9999): one index serves both
    assert fingerprint(s, Named("minilm")) == fingerprint(s, Named("minilm@bfloat16"))


def test_int8_weights_store_each_output_channel_with_its_own_scale() -> None:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from rag.embed_int8 import int8_weights

    rng = np.random.default_rng(0)
    big = rng.normal(size=(64, 8)).astype(np.float32)
    big[:, 3] *= 100  # one loud channel must not flatten the others
    big[:, 5] = 0  # an all-zero channel stays zero (no division by a zero scale)
    small = rng.normal(size=(8, 4)).astype(np.float32)  # too few rows: left in float32
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "big"], ["h"]),
            helper.make_node("MatMul", ["h", "small"], ["y"]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])],
        [numpy_helper.from_array(big, "big"), numpy_helper.from_array(small, "small")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert int8_weights(model) == 1
    onnx.checker.check_model(model)
    kinds = {i.name: i.data_type for i in model.graph.initializer}
    assert kinds["big_int8"] == TensorProto.INT8 and kinds["small"] == TensorProto.FLOAT
    x = rng.normal(size=(5, 64)).astype(np.float32)
    got = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    want = x @ big @ small
    scale = np.abs(big).max(axis=0) / 127
    # each channel's error is bounded by its own half step, not by the loud channel's
    bound = np.abs(x).sum(axis=1, keepdims=True) * (scale / 2)
    assert np.all(np.abs(x @ _dequantized(model) - x @ big) <= bound + 1e-5)
    assert np.allclose(got, want, rtol=0.05, atol=0.05 * np.abs(want).max())


def _dequantized(model: Any) -> np.ndarray:
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return inits["big_int8"].astype(np.float32) * inits["big_scale"]
