import subprocess
import sys

HEAVY = ["torch", "onnxruntime", "openvino", "tensorflow", "paddle", "ncnn", "coremltools", "tensorrt", "onnx"]


def test_import_yolocls_imports_no_torch_nor_backends():
    code = ("import sys, yolocls, yolocls.formats, yolocls.metadata, yolocls.runtimes; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_listing_formats_imports_no_backend():
    code = ("import sys; from yolocls.exporters._registry import exporter_names; "
            "from yolocls.runtimes import runtime_names; exporter_names(); runtime_names(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
