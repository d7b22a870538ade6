"""The ingest progress bar: files with tqdm's rate and ETA, and the chunks embedded."""

from __future__ import annotations

import time
from typing import Any

from tqdm import tqdm


class Progress:
    """The file bar's chunk count and rate (files, rate and ETA are tqdm's own)."""

    def __init__(self, bar: tqdm[Any]) -> None:
        self.bar = bar
        self.chunks = 0
        self.start = time.perf_counter()

    def chunks_done(self, n: int) -> None:
        self.chunks += n
        rate = self.chunks / max(time.perf_counter() - self.start, 1e-9)
        self.bar.set_postfix_str(f"{self.chunks:,} chunks, {rate:.1f} chunks/s", refresh=True)
