"""ONNX: the graph, its metadata, its options, and a user's own ONNX Runtime code from the docs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from yolocls import YOLO
from yolocls.errors import ConfigError, ShapeError
from yolocls.runtimes import load_runtime

pytestmark = pytest.mark.onnx
ONNX_PAGE = Path(__file__).resolve().parents[2] / "docs" / "formats" / "onnx.md"


def readme_ort_example() -> str:
    """The Python block that follows `<!-- ort-example -->` on the ONNX docs page."""
    m = re.search(r"<!-- ort-example -->\s*```python\n(.*?)```", ONNX_PAGE.read_text(), re.S)
    assert m, "docs/formats/onnx.md lost its '<!-- ort-example -->' ONNX Runtime snippet"
    return m.group(1)


def test_own_onnxruntime_code_from_readme_gives_the_probabilities_of_predict(exported, digits_root, tmp_path,
                                                                              monkeypatch):
    from yolocls.data.preprocess import preprocess

    # A non-square image larger than imgsz, so the snippet's resize and centre crop both matter.
    digit = Image.open(next((digits_root / "val" / "3").iterdir())).convert("RGB")
    noise = np.random.default_rng(0).integers(0, 40, (41, 50, 3), dtype=np.uint8)
    img = Image.fromarray(np.clip(np.asarray(digit.resize((50, 41), Image.NEAREST), np.int16) + noise, 0, 255)
                          .astype(np.uint8))
    img.save(tmp_path / "image.jpg")
    shutil.copy(exported["onnx"], tmp_path / "best.onnx")
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(readme_ort_example(), "docs/formats/onnx.md", "exec"), ns)  # noqa: S102 - the docs' own code
    ref = YOLO(exported["pt"]).runtime_for_inference().predict(preprocess(Image.open("image.jpg"), 32)[None])[0]
    np.testing.assert_allclose(ns["probs"], ref, atol=1e-5)
    assert ns["label"] == YOLO(exported["pt"]).names[int(ref.argmax())]


def test_graph_passes_checker_and_carries_the_metadata(exported):
    import onnx

    proto = onnx.load(str(exported["onnx"]))
    onnx.checker.check_model(proto, full_check=True)
    props = {p.key: p.value for p in proto.metadata_props}
    md = json.loads(props["yolocls"])
    assert {"names", "imgsz", "batch", "task", "stride"} <= props.keys()
    assert md["preprocess"]["resize"] == "shorter_side_to_imgsz" and md["preprocess"]["scale"] == pytest.approx(1 / 255)
    assert md["preprocess"]["channel_order"] == "RGB" and md["preprocess"]["layout"] == "NCHW"
    assert md["output"]["softmax_in_graph"] is True and md["precision"] == "fp32" and md["dynamic"] is False
    assert len(md["source"]["sha256"]) == 64 and md["versions"]["onnx"] == onnx.__version__
    assert [n.op_type for n in proto.graph.node][-1] == "Softmax"
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [1, 3, 32, 32]


def test_dynamic_export_takes_any_batch_and_image_size(ckpt_copy):
    rt = load_runtime(YOLO(ckpt_copy).export(format="onnx", dynamic=True, opset=13))
    x = np.random.default_rng(0).random((3, 3, 64, 96), dtype=np.float32)
    ref = YOLO(ckpt_copy).runtime_for_inference().predict(x)
    np.testing.assert_allclose(rt.predict(x), ref, atol=1e-5)
    assert rt.dynamic and rt.session.get_inputs()[0].shape == ["batch", 3, "height", "width"]


def test_half_runs_on_cpu_with_float16_input(ckpt_copy, digits_val):
    rt = load_runtime(YOLO(ckpt_copy).export(format="onnx", half=True))
    assert rt.input_dtype == np.float16 and rt.metadata["preprocess"]["dtype"] == "float16"
    y = rt.predict(digits_val[0][:8])
    assert y.dtype == np.float32 and np.allclose(y.sum(1), 1, atol=1e-2)


def test_static_artifact_names_the_image_size_it_accepts(exported):
    rt = load_runtime(exported["onnx"])
    with pytest.raises(ShapeError, match=r"accepts images of 32x32 only.*imgsz=32"):
        rt.predict(np.zeros((1, 3, 64, 64), np.float32))
    with pytest.raises(ShapeError, match=r"\(N, 3, H, W\)"):
        rt.predict(np.zeros((1, 1, 32, 32), np.float32))


def test_runtime_threads_and_graph_optimisation_are_options(exported, digits_val):
    x = digits_val[0][:16]
    a = load_runtime(exported["onnx"], threads=1, graph_optimization="disable")
    b = load_runtime(exported["onnx"], threads=2, inter_threads=1, graph_optimization="all")
    assert a.session.get_session_options().intra_op_num_threads == 1
    # Fused kernels reorder float sums: ~2e-6 apart on AVX-512 machines, ~1e-7 on AVX2 ones.
    np.testing.assert_allclose(a.predict(x), b.predict(x), atol=1e-5)
    with pytest.raises(ConfigError, match="graph_optimization='fast'.*disable, basic, extended, all"):
        load_runtime(exported["onnx"], graph_optimization="fast")


def test_unsupported_opset_is_refused_with_the_valid_range(ckpt_copy):
    with pytest.raises(ConfigError, match=r"opset=5 is not supported; use 7-23"):
        YOLO(ckpt_copy).export(format="onnx", opset=5)
    assert not list(ckpt_copy.parent.glob("*.onnx")), "a failed export must leave nothing behind"


def test_an_onnx_with_only_ultralytics_style_metadata_still_loads(exported, tmp_path):
    import onnx

    proto = onnx.load(str(exported["onnx"]))
    del proto.metadata_props[:]
    proto.metadata_props.add(key="names", value=str({i: str(i) for i in range(10)}))
    proto.metadata_props.add(key="imgsz", value="[32, 32]")
    onnx.save(proto, str(tmp_path / "ultra.onnx"))
    rt = load_runtime(tmp_path / "ultra.onnx")
    assert rt.names == {i: str(i) for i in range(10)} and rt.imgsz == 32 and not rt.dynamic
    del proto.metadata_props[:]
    onnx.save(proto, str(tmp_path / "bare.onnx"))
    with pytest.raises(ValueError, match="no yolocls metadata"):
        load_runtime(tmp_path / "bare.onnx")


@pytest.mark.slow
def test_int8_is_static_qdq_with_per_channel_weights_a_float_softmax_and_its_calibration(ckpt_copy, digits_val):
    import onnx
    from onnx import numpy_helper

    path = Path(YOLO(ckpt_copy).export(format="onnx", int8=True, data="digits", fraction=0.1, dynamic=True))
    proto = onnx.load(str(path))
    nodes, inits = proto.graph.node, {i.name: i for i in proto.graph.initializer}
    producer = {o: n for n in nodes for o in n.output}
    softmax = producer[proto.graph.output[0].name]
    assert softmax.op_type == "Softmax" and producer[softmax.input[0]].op_type == "DequantizeLinear"
    convs = [n for n in nodes if n.op_type == "Conv"]
    weight_dq = [producer[c.input[1]] for c in convs]
    assert convs and all(n.op_type == "DequantizeLinear" for n in weight_dq)
    for dq, conv in zip(weight_dq, convs, strict=True):
        w, scale = numpy_helper.to_array(inits[dq.input[0]]), numpy_helper.to_array(inits[dq.input[1]])
        assert w.dtype == np.int8 and scale.shape == (w.shape[0],), conv.name  # one scale per output channel
    md = load_runtime(path).metadata
    assert md["precision"] == "int8" and md["quantization"]["activations"] == "uint8 per-tensor"
    assert md["quantization"]["calibration"] == {"images": 143, "source": "digits", "split": "train", "fraction": 0.1}
    p = load_runtime(path).predict(np.concatenate([digits_val[0][:3]] * 2))  # dynamic batch of 6
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    assert np.mean(np.isclose(p * 256, np.round(p * 256), atol=1e-4)) < 0.5  # not an 8-bit output


def test_half_and_int8_exclude_each_other(ckpt_copy):
    with pytest.raises(ConfigError, match="half=True and int8=True exclude each other"):
        YOLO(ckpt_copy).export(format="onnx", half=True, int8=True)


@pytest.mark.parametrize("family", ["yolov8n-cls", "yolo11n-cls"])
def test_onnxslim_is_skipped_only_where_it_would_change_nothing(family, tmp_path):
    import onnx
    import onnxruntime as ort
    import onnxslim
    import torch

    from yolocls.exporters._onnx_file import write_onnx
    from yolocls.models import ClassificationModel

    torch.manual_seed(0)
    model = ClassificationModel(f"{family}.yaml", nc=10).eval()
    md = {"names": {i: str(i) for i in range(10)}, "imgsz": [32, 32], "batch": 1, "versions": {}}
    path = write_onnx(model, tmp_path / "m.onnx", imgsz=32, metadata=md)
    proto = onnx.load(str(path))
    ops = [n.op_type for n in proto.graph.node]
    if family == "yolov8n-cls":  # the plain graph: its Constant nodes became initializers, onnxslim did not run
        assert md["simplified"].endswith("nothing left for onnxslim") and "onnxslim" not in md["versions"]
        assert "Constant" not in ops and "Shape" not in ops
    else:  # attention: shape arithmetic for onnxslim to fold, so it ran and is recorded
        assert md["simplified"] == f"onnxslim {onnxslim.__version__}" == f"onnxslim {md['versions']['onnxslim']}"
    again = onnxslim.slim(onnx.load(str(path)))
    assert [n.op_type for n in again.graph.node] == ops  # nothing left that onnxslim would remove or fuse
    x = np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, model(torch.from_numpy(x)).numpy(), atol=1e-5)
