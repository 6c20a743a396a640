"""OpenVINO: the IR folder and its metadata, the precision that actually runs, hints, batches and shapes."""

from __future__ import annotations

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.errors import ConfigError, PlatformNotSupportedError, ShapeError
from yolocls.runtimes import load_runtime

pytestmark = pytest.mark.openvino


def test_ir_folder_holds_xml_bin_and_metadata_also_in_rt_info(exported):
    import openvino as ov

    from yolocls import metadata as md_io

    d = exported["openvino"]
    assert d.name == "best_openvino_model" and YOLO(d).format == "openvino"
    assert sorted(p.name for p in d.iterdir()) == ["best.bin", "best.xml", "metadata.yaml"]
    md = md_io.read_metadata_file(d)
    rt_info = md_io.loads(ov.Core().read_model(str(d / "best.xml")).get_rt_info(["yolocls", "metadata"]).astype(str))
    assert md == rt_info and md["names"] == YOLO(exported["pt"]).names and md["imgsz"] == [32, 32]
    assert md["versions"]["openvino"] == ov.get_version() and md["precision"] == "fp32"
    assert load_runtime(d / "best.xml").names == md["names"]  # the .xml itself loads too


def test_fp32_ir_runs_f32_even_where_the_cpu_would_pick_bf16(exported):
    rt = load_runtime(exported["openvino"])
    assert rt.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "f32"
    assert rt.compute_precision == "fp32" and rt.precision == "fp32"


def test_bf16_is_an_explicit_option_and_the_precision_that_ran_is_reported(exported, digits_val):
    import openvino as ov

    rt = load_runtime(exported["openvino"], precision="bf16")
    ran = rt.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    has_bf16 = "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    assert ran == ("bf16" if has_bf16 else "f32")  # without bf16 hardware OpenVINO falls back silently...
    assert rt.compute_precision == rt.precision == ("bf16" if has_bf16 else "fp32")  # ...and we say so
    assert np.allclose(rt.predict(digits_val[0][:8]).sum(1), 1, atol=1e-2)
    with pytest.raises(ConfigError, match="precision='int4'"):
        load_runtime(exported["openvino"], precision="int4")


def test_fp16_ir_reports_fp16_and_int8_ir_records_its_calibration(ckpt_copy):
    model = YOLO(ckpt_copy)
    fp16 = load_runtime(model.export(format="openvino", half=True))
    assert fp16.metadata["precision"] == "fp16" and fp16.precision == "fp16"
    int8 = load_runtime(model.export(format="openvino", int8=True, data="digits", fraction=0.05))
    q = int8.metadata["quantization"]
    assert int8.precision == "int8" and q["method"].startswith("nncf")
    assert q["calibration"] == {"images": 71, "source": "digits", "split": "train", "fraction": 0.05}


def test_throughput_hint_and_static_batch_give_the_latency_results(exported, ckpt_copy, digits_val):
    x = digits_val[0][:11]
    ref = load_runtime(exported["openvino"]).predict(x)
    static4 = YOLO(ckpt_copy).export(format="openvino", batch=4)
    for rt in (load_runtime(static4), load_runtime(static4, hint="THROUGHPUT", threads=2)):
        assert rt.batch == 4 and rt.compiled.inputs[0].get_partial_shape().to_shape()[0] == 4
        np.testing.assert_allclose(rt.predict(x), ref, atol=1e-5)  # 11 images: three chunks, the last padded
    with pytest.raises(ConfigError, match="LATENCY or THROUGHPUT"):
        load_runtime(static4, hint="fastest")


def test_dynamic_ir_takes_any_batch_and_size(ckpt_copy):
    rt = load_runtime(YOLO(ckpt_copy).export(format="openvino", dynamic=True))
    x = np.random.default_rng(1).random((2, 3, 64, 64), dtype=np.float32)
    np.testing.assert_allclose(rt.predict(x), YOLO(ckpt_copy).runtime_for_inference().predict(x), atol=1e-5)


def test_static_ir_refuses_another_imgsz_and_absent_devices(exported):
    with pytest.raises(ShapeError, match="accepts images of 32x32 only"):
        load_runtime(exported["openvino"]).predict(np.zeros((1, 3, 224, 224), np.float32))
    with pytest.raises(PlatformNotSupportedError, match="device NPU is not present"):
        load_runtime(exported["openvino"], device="npu")
    with pytest.raises(ConfigError, match="CUDA device"):
        load_runtime(exported["openvino"], device="0")
