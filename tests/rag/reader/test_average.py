"""Averaging reader weights: the mean of each tensor, a record of what was averaged, no
threshold carried over, and a clear error for folders that cannot be averaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from rag.artifacts import sha256
from rag.errors import ModelError
from rag.reader.average import main, write_average


def model(folder: Path, scale: float, *, extra: bool = False, stage: str = "s") -> Path:
    folder.mkdir()
    state = {"a.weight": torch.full((2, 3), scale), "b.bias": torch.arange(4.0) * scale}
    if extra:
        state["c"] = torch.zeros(1)
    save_file({k: v.half() for k, v in state.items()}, str(folder / "reader.safetensors"))
    cfg = {
        "format": "f",
        "max_length": 112,
        "threshold": 0.42,
        "threshold_int8": 0.35,
        "threshold_from": "cal",
        "check": {"prob": 0.9},
        "weights_sha256": "x",
    }
    (folder / "reader.json").write_text(json.dumps(cfg))
    (folder / "training.json").write_text(
        json.dumps({"stages": [{"command": f"{stage}1"}, {"command": f"{stage}2"}]})
    )
    return folder


def test_each_tensor_is_the_mean_and_the_record_says_so(tmp_path: Path) -> None:
    a, b = model(tmp_path / "a", 1.0, stage="a"), model(tmp_path / "b", 3.0, stage="b")
    out = write_average([a, b], tmp_path / "out", note="soup")
    state = load_file(str(out / "reader.safetensors"))
    assert state["a.weight"].dtype == torch.float16
    assert torch.equal(state["a.weight"].float(), torch.full((2, 3), 2.0))
    assert torch.equal(state["b.bias"].float(), torch.arange(4.0) * 2)
    cfg = json.loads((out / "reader.json").read_text())
    assert cfg["threshold"] is None  # the average must be calibrated before it abstains
    assert not {"threshold_int8", "threshold_from", "check"} & set(cfg)
    assert cfg["weights_sha256"] == sha256(out / "reader.safetensors")
    assert cfg["format"] == "f" and cfg["max_length"] == 112
    stages = json.loads((out / "training.json").read_text())["stages"]
    # a's history, b's last stage, then the averaging step with both checksums
    assert [s["command"] for s in stages[:3]] == ["a1", "a2", "b2"]
    assert stages[3]["note"] == "soup"
    assert stages[3]["averaged"] == {
        str(a): sha256(a / "reader.safetensors"),
        str(b): sha256(b / "reader.safetensors"),
    }


def test_models_of_different_networks_are_refused(tmp_path: Path) -> None:
    a, b = model(tmp_path / "a", 1.0), model(tmp_path / "b", 3.0, extra=True)
    with pytest.raises(ModelError, match="only models of one network"):
        write_average([a, b], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_without_weights_is_named(tmp_path: Path) -> None:
    a = model(tmp_path / "a", 1.0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="empty/reader.safetensors"):
        write_average([a, tmp_path / "empty"], tmp_path / "out")
    with pytest.raises(ModelError, match="at least two"):
        write_average([a], tmp_path / "out")
    (a / "reader.json").unlink()
    with pytest.raises(ModelError, match="a/reader.json: missing"):
        write_average([a, model(tmp_path / "b", 2.0)], tmp_path / "out")


def test_the_command_writes_the_folder(tmp_path: Path) -> None:
    a, b = model(tmp_path / "a", 0.0), model(tmp_path / "b", 2.0)
    main([str(a), str(b), "--out", str(tmp_path / "c")])
    state = load_file(str(tmp_path / "c" / "reader.safetensors"))
    assert torch.equal(state["a.weight"].float(), torch.ones(2, 3))
