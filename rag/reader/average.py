"""Average readers' weights: ``python -m rag.reader.average A B --out C``.

A weight-space ensemble (a "model soup"): each tensor of the new model is the mean of
the same tensor in every given model folder. The folders must hold the same network,
fine-tuned from one start (a draft trained from the shipped weights, say), or the mean
means nothing. The result has no threshold: calibrate it (``python -m
rag.reader.calibrate``) before it is read with abstention, as after training.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.artifacts import sha256
from rag.errors import ModelError
from rag.reader.export import stages_of

log = logging.getLogger(__name__)

WEIGHTS = "reader.safetensors"


def average_weights(folders: Sequence[Path]) -> dict[str, Any]:
    """The tensor-by-tensor mean (computed in float32, returned in float16, as shipped)."""
    import torch
    from safetensors.torch import load_file

    if len(folders) < 2:
        raise ModelError("average needs at least two model folders")
    states = []
    for folder in folders:
        path = Path(folder) / WEIGHTS
        if not path.exists():
            raise ModelError(f"{path}: no reader weights here; pass a reader model folder")
        states.append(load_file(str(path)))
    keys = set(states[0])
    for folder, state in zip(folders[1:], states[1:], strict=True):
        if set(state) != keys or any(state[k].shape != states[0][k].shape for k in keys):
            raise ModelError(
                f"{folder}: its tensors differ from {folders[0]}'s; only models of one "
                "network can be averaged"
            )
    return {
        k: (torch.stack([s[k].float() for s in states]).mean(0)).to(torch.float16).contiguous()
        for k in sorted(keys)
    }


def _stages(folder: Path) -> list[dict[str, Any]]:
    path = folder / "training.json"
    if not path.exists():
        return []
    return stages_of(json.loads(path.read_text()))


def write_average(folders: Sequence[Path], out: Path, note: str = "") -> Path:
    """Write ``out`` as a reader model folder holding the average of ``folders``."""
    from safetensors.torch import save_file

    state = average_weights(folders)
    cfg_path = Path(folders[0]) / "reader.json"
    if not cfg_path.exists():
        raise ModelError(f"{cfg_path}: missing; the first folder must be a whole reader folder")
    out.mkdir(parents=True, exist_ok=True)
    weights = out / WEIGHTS
    save_file(state, str(weights))
    weights.chmod(0o644)
    # the first model's format; its thresholds and check pair belong to its weights only
    first = json.loads(cfg_path.read_text())
    config = {k: v for k, v in first.items() if not k.startswith("threshold") and k != "check"}
    config.update(weights_sha256=sha256(weights), threshold=None)
    (out / "reader.json").write_text(json.dumps(config, indent=2) + "\n")
    # the first folder's history, each other folder's last stage, then this step
    stages = _stages(Path(folders[0])) + [s for f in folders[1:] for s in _stages(Path(f))[-1:]]
    stages.append(
        {
            "command": "python -m rag.reader.average " + " ".join(str(f) for f in folders),
            "averaged": {str(f): sha256(Path(f) / WEIGHTS) for f in folders},
            "history": [],
            **({"note": note} if note else {}),
        }
    )
    (out / "training.json").write_text(json.dumps({"stages": stages}, indent=2) + "\n")
    log.info(
        "wrote %s (%s), the mean of %d models", weights, config["weights_sha256"][:12], len(folders)
    )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m rag.reader.average", description=__doc__.split("\n")[0]
    )
    ap.add_argument("models", type=Path, nargs="+", help="reader model folders (two or more)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--note", default="", help="recorded with the step in training.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    write_average(args.models, args.out, args.note)


if __name__ == "__main__":
    main()
