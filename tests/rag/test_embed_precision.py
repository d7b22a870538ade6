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
    # a text's vector does not depend on the texts embedded beside it (texts of one padded
    # length share a batch, the padding masked): a query alone gets the stored vector,
    # whatever was ingested with it
    alone = np.stack([i8.embed([t])[0] for t in TEXTS])
    assert np.array_equal(alone, b)
    same_length = [TEXTS[0], TEXTS[0].upper(), "a much longer neighbour " * 40]
    assert np.array_equal(i8.embed(same_length)[0], b[0])
    assert np.array_equal(i8.embed(same_length * 20)[40], b[0])  # in a full batch too
    # texts run padded to a multiple of 16 word pieces: a shorter neighbour padded into
    # the same batch leaves the vector as it was
    assert np.array_equal(i8.embed([TEXTS[0], TEXTS[0][:-12]])[0], b[0])
    assert "@int8-r4" in i8.model_id and precision_of(i8) == "int8"
    built = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(built) == 1 and built[0].with_suffix(".json").exists()
    import onnx

    graph = onnx.load(str(built[0])).graph
    assert "IsNaN" not in [node.op_type for node in graph.node]  # eager attention: no guards
    quantized, kept = _products(graph)
    # six layers' Q, K, V, attention output and two FFN products read int8 weights and
    # int8 activations, but for the first layer's FFN output; attention's own two stay float
    assert len(quantized) == 35 and kept == ["/inner/encoder/layer.0/output/dense/MatMul"]
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


def _products(graph: Any) -> tuple[list[str], list[str]]:
    """The names of the matrix products with a weight whose two inputs are both dequantized
    from int8, and of those with a weight left in float; products of two activations that
    read any int8 input are counted with the first."""
    made_by = {out: node for node in graph.node for out in node.output}
    int8 = {i.name for i in graph.initializer if i.data_type == 3}
    floats = {i.name for i in graph.initializer if i.data_type == 1}
    quantized, kept = [], []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        sources = [made_by.get(name) for name in node.input]
        dequantized = [s is not None and s.op_type == "DequantizeLinear" for s in sources]
        if all(dequantized) and any(s.input[0] in int8 for s in sources if s is not None):
            quantized.append(node.name)
        elif node.input[1] in floats:
            kept.append(node.name)
        else:
            assert not any(dequantized), node.name  # attention's own products: float
    return quantized, kept


def test_quantize_keeps_the_named_products_in_float_and_stays_close() -> None:
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from rag.embed_int8 import FLOAT_PRODUCTS, quantize

    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(16, 32)).astype(np.float32)
    w2 = rng.normal(size=(32, 16)).astype(np.float32)
    kept = f"/inner/encoder/{FLOAT_PRODUCTS[-1]}"
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w1"], ["h"], name="/inner/encoder/dense/MatMul"),
            helper.make_node("Relu", ["h"], ["r"], name="relu"),
            helper.make_node("MatMul", ["r", "w2"], ["y"], name=kept),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 16])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    feeds = [{"x": rng.normal(size=(4, 16)).astype(np.float32)} for _ in range(20)]
    q = quantize(model, feeds)
    quantized, float_ones = _products(q.graph)
    assert quantized == ["/inner/encoder/dense/MatMul"] and float_ones == [kept]
    x = rng.normal(size=(8, 16)).astype(np.float32)
    got = ort.InferenceSession(q.SerializeToString()).run(None, {"x": x})[0]
    want = np.maximum(x @ w1, 0) @ w2
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cos.min() > 0.99


def test_the_calibration_texts_are_the_squad_paragraphs_they_say_they_are() -> None:
    from rag import embed_calibration

    texts = embed_calibration.texts()
    assert len(texts) == embed_calibration.COUNT
    assert all(len(t.split("\n", 1)) == 2 and len(t) > 100 for t in texts)
    if not embed_calibration.SQUAD_TRAIN.exists():
        pytest.skip(f"{embed_calibration.SQUAD_TRAIN} absent: the file's source not checked")
    assert embed_calibration.rows() == embed_calibration.from_squad()
