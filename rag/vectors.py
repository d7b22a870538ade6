"""FAISS layouts for the stored vectors: exact (flat) or approximate (IVF).

Both keep the chunk row ids as FAISS ids, support removal and reconstruction
by id, and answer inner-product searches with an optional id filter. The flat
layout is exact and needs no training; IVF (``nlist = 4·√N`` lists, searched
``nprobe`` at a time) answers in about a millisecond at a million vectors. The
measurements behind the switch point are in BENCHMARKS.md ("Scale").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

Layout = Literal["flat", "ivf"]


def empty_flat(dim: int) -> Any:
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def ivf_of(index: Any) -> Any | None:
    """The IVF part of ``index``, or None for a flat index."""
    import faiss

    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def layout_of(index: Any) -> Layout:
    return "ivf" if ivf_of(index) is not None else "flat"


def wanted_layout(index_type: str, n: int, threshold: int, current: Layout) -> Layout:
    """The layout for ``n`` vectors. ``auto`` switches to IVF above ``threshold`` and
    back to flat only below half of it, so an index near the line does not flip."""
    if index_type in ("flat", "ivf"):
        return index_type  # type: ignore[return-value]
    if n > threshold:
        return "ivf"
    if current == "ivf" and n > threshold // 2:
        return "ivf"
    return "flat"


def build(layout: Layout, ids: np.ndarray, vectors: np.ndarray, dim: int, *, seed: int = 0) -> Any:
    """A new index of ``layout`` holding ``vectors`` under ``ids``."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if layout == "flat":
        index = empty_flat(dim)
    else:
        n = len(ids)
        nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))
        index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vectors[rng.choice(n, size=min(n, nlist * 50), replace=False)]
        index.train(sample)
        # A hash table from id to list position keeps reconstruct() and remove_ids() working.
        ivf = faiss.extract_index_ivf(index)
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index


def vectors_for(index: Any, ids: Sequence[int] | np.ndarray) -> np.ndarray:
    """The stored vectors of ``ids`` (either layout)."""
    if not len(ids):
        return np.zeros((0, index.d), dtype=np.float32)
    return np.stack([index.reconstruct(int(i)) for i in ids]).astype(np.float32)


def relayout(index: Any, ids: Sequence[int], want: Layout) -> Any:
    """``index`` in the ``want`` layout (the same object when it already is)."""
    if layout_of(index) == want:
        return index
    arr = np.asarray(ids, dtype=np.int64)
    return build(want, arr, vectors_for(index, arr), index.d)


def search_params(index: Any, allowed: np.ndarray | None, nprobe: int) -> Any | None:
    """Search parameters: the id filter, and ``nprobe`` for IVF."""
    import faiss

    sel = faiss.IDSelectorBatch(allowed) if allowed is not None else None
    params: Any
    if ivf_of(index) is not None:
        params = faiss.SearchParametersIVF()
        params.nprobe = nprobe
        if sel is not None:
            params.sel = sel
        return params
    if sel is None:
        return None
    params = faiss.SearchParameters()
    params.sel = sel
    return params
