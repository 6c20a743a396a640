"""The restricted unpickler on hand-made pickles: every way a pickle can reach a global goes through the allow-list."""

from __future__ import annotations

import collections
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest
import torch

from yolocls.models.safe_unpickle import (
    Record,
    RefusedGlobalError,
    load_pickled_checkpoint,
    numpy_scalar_value,
    pickle_globals,
)


def ckpt(tmp_path: Path, data: bytes, storages: dict[str, bytes] | None = None) -> Path:
    p = tmp_path / "x.pt"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("x/data.pkl", data)
        for k, v in (storages or {}).items():
            z.writestr(f"x/data/{k}", v)
    return p


def s(text: str) -> bytes:  # BINUNICODE
    return b"X" + struct.pack("<I", len(text.encode())) + text.encode()


class _System:
    def __init__(self, cmd: str):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_every_protocol_is_refused_by_name_and_runs_nothing(tmp_path, protocol):
    marker = tmp_path / "ran"
    data = pickle.dumps({"a": [_System(f"touch {marker}")]}, protocol=protocol)
    assert f"{os.system.__module__}.system" in pickle_globals(data)  # posix.system: os.system's real home
    with pytest.raises(RefusedGlobalError, match=rf"{os.system.__module__}\.system"):
        load_pickled_checkpoint(ckpt(tmp_path, data), records=[])
    assert not marker.exists()


def test_the_old_inst_opcode_goes_through_the_allow_list_too(tmp_path):
    data = b"(" + s("touch x") + b"ios\nsystem\n."  # MARK, arg, INST os system
    with pytest.raises(RefusedGlobalError, match=r"os\.system"):
        load_pickled_checkpoint(ckpt(tmp_path, data), records=[])


def test_allowed_classes_become_inert_records(tmp_path):
    cls = b"cultralytics.nn.modules.conv\nConv\n"
    data = b"\x80\x02" + cls + b")\x81}" + s("eps") + b"G" + struct.pack(">d", 1e-3) + b"sb."  # NEWOBJ + BUILD
    rec = load_pickled_checkpoint(ckpt(tmp_path, data), records=["ultralytics.nn.modules.conv.Conv"])
    assert isinstance(rec, Record) and rec.global_name == "ultralytics.nn.modules.conv.Conv"
    assert rec.name == "Conv" and rec.get("eps") == 1e-3 and rec.args == ()


@pytest.mark.parametrize("state", [b"}" + s("a") + b"K\x01s", b"N}" + s("__defaults__") + b")s\x86"])
def test_build_cannot_change_an_allowed_function(tmp_path, state):
    """BUILD on an allow-listed callable (its __dict__ or, via slot state, its attributes) fails; the next file
    is read the same way."""
    data = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n" + state + b"b."
    with pytest.raises((pickle.UnpicklingError, AttributeError)):
        load_pickled_checkpoint(ckpt(tmp_path, data), records=[])
    assert load_pickled_checkpoint(ckpt(tmp_path, pickle.dumps(collections.OrderedDict(a=1), protocol=2)),
                                   records=[]) == {"a": 1}


def _tensor_pickle(size: int, offset: int = 0, numel: int = 4) -> bytes:
    pid = b"(" + s("storage") + b"ctorch\nFloatStorage\n" + s("0") + s("cpu") + b"K" + bytes([numel]) + b"tQ"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"K" + bytes([offset]) + b"K" + bytes([size])
            + b"\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.")


def test_tensors_are_rebuilt_from_storages_and_stay_inside_them(tmp_path):
    raw = torch.arange(4, dtype=torch.float32).numpy().tobytes()
    t = load_pickled_checkpoint(ckpt(tmp_path, _tensor_pickle(2, offset=1), {"0": raw}), records=[])
    assert t.tolist() == [1.0, 2.0] and t.dtype == torch.float32
    with pytest.raises(RuntimeError, match="out of bounds"):
        load_pickled_checkpoint(ckpt(tmp_path, _tensor_pickle(9), {"0": raw}), records=[])
    with pytest.raises(pickle.UnpicklingError, match="bytes"):  # the storage is shorter than it claims
        load_pickled_checkpoint(ckpt(tmp_path, _tensor_pickle(2, numel=8), {"0": raw}), records=[])


def test_numpy_scalars_decode_without_numpy():
    dtype = Record.__new__(type("dtype", (Record,), {"global_name": "numpy.dtype"}), "f8", False, True)
    dtype.__setstate__((3, "<", None, None, None, -1, -1, 0))
    assert numpy_scalar_value(dtype, struct.pack("<d", 0.5)) == 0.5
    assert numpy_scalar_value(dtype, b"\x00") is None
