"""The chunking bench's rule and its per-configuration data folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.bench.chunking import config_settings, holds
from rag.settings import Settings


def run(report_unfiltered: float, report_filtered: float, test: float) -> dict[str, Any]:
    return {
        "fb": {
            "report": {"unfiltered": {10: report_unfiltered}, "filtered": {10: report_filtered}}
        },
        "scifact_test": test,
    }


def test_a_choice_holds_only_without_a_held_out_loss() -> None:
    today = run(0.62, 0.57, 0.7401)
    assert holds(run(0.62, 0.62, 0.7405), today)  # no loss, at least 0.74
    assert not holds(run(0.57, 0.67, 0.7450), today)  # one mode lost a question
    assert not holds(run(0.67, 0.67, 0.7350), today)  # SciFact test fell by more than 0.005
    assert not holds(run(0.67, 0.67, 0.7380), run(0.62, 0.57, 0.7390))  # under the 0.74 line


def test_each_chunking_gets_its_own_data_folder_and_shares_the_embedding_cache(
    tmp_path: Path,
) -> None:
    base = Settings(data_dir=tmp_path)
    s = config_settings(base, 224, 0)
    again = config_settings(base, 224, 0)  # a second run reuses the folder and its link
    assert s.data_dir == again.data_dir == tmp_path / "bench" / "chunking" / "224-0"
    assert (s.chunking.max_tokens, s.chunking.overlap_tokens) == (224, 0)
    (s.cache_dir / "probe").write_text("shared")
    assert (base.cache_dir / "probe").read_text() == "shared"
    assert config_settings(base, 200, 40).data_dir != s.data_dir
