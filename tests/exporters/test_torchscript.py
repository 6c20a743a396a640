"""TorchScript: metadata in the extra file, and optimize=True for mobile."""

from __future__ import annotations

import warnings

import numpy as np

from yolocls import YOLO
from yolocls.runtimes import load_runtime


def test_metadata_travels_in_the_extra_file(exported):
    rt = load_runtime(exported["torchscript"])
    assert YOLO(exported["torchscript"]).format == "torchscript"
    assert rt.names == YOLO(exported["pt"]).names and rt.imgsz == 32 and rt.metadata["format"] == "torchscript"


def test_optimize_for_mobile_loads_in_both_interpreters_and_matches(ckpt_copy, digits_val):
    import torch
    from torch.jit.mobile import _load_for_lite_interpreter

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = YOLO(ckpt_copy).export(format="torchscript", optimize=True)
    rt = load_runtime(path)
    mobile = rt.metadata["mobile"]
    assert mobile["lite_interpreter"] is True
    if mobile["optimizer"] != "optimize_for_mobile":  # a PyTorch build without XNNPACK: frozen, and said so
        assert mobile["optimizer"].startswith("torch.jit.freeze")
        assert any("XNNPACK" in str(w.message) for w in caught)
    x = digits_val[0][:16]
    ref = YOLO(ckpt_copy).runtime_for_inference().predict(x)
    np.testing.assert_allclose(rt.predict(x), ref, atol=1e-5)
    lite = _load_for_lite_interpreter(path)
    np.testing.assert_allclose(lite(torch.from_numpy(x[:1])).numpy(), ref[:1], atol=1e-5)
