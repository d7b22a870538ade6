"""Quality benchmarks; each writes its own section of BENCHMARKS.md.

    python -m rag.bench.quality retrieval     # SciFact test: every fusion row, plus cheap variants
    python -m rag.bench.quality dtype         # float32 vs bfloat16: speed, cosine, nDCG@10
    python -m rag.bench.quality chunking      # chunk size/overlap on FinanceBench and SciFact
    python -m rag.bench.quality financebench  # page recall@k on all 10 FinanceBench PDFs

``--quick`` runs a smaller version of each. The SciFact indexes live in
``DATA_DIR/beir`` and every vector goes through the shared embedding cache, so a
second run embeds nothing but what changed. Raw results go to ``DATA_DIR/bench``.
"""

from __future__ import annotations

import argparse

from rag.bench.chunking import bench_chunking
from rag.bench.dtype import bench_dtype
from rag.bench.financebench import bench_financebench
from rag.bench.retrieval import bench_retrieval

BENCHES = {
    "retrieval": bench_retrieval,
    "dtype": bench_dtype,
    "chunking": bench_chunking,
    "financebench": bench_financebench,
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m rag.bench.quality",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("bench", choices=sorted(BENCHES))
    p.add_argument("--quick", action="store_true", help="smaller grid / fewer texts")
    p.add_argument("--from-json", action="store_true", help="dtype only: rewrite from the last run")
    args = p.parse_args(argv)
    command = f"python -m rag.bench.quality {args.bench}" + (" --quick" if args.quick else "")
    if args.bench == "dtype":
        bench_dtype(args.quick, command, from_json=args.from_json)
    else:
        BENCHES[args.bench](args.quick, command)


if __name__ == "__main__":
    main()
