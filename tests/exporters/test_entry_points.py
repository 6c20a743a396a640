"""A third-party format registered through the `yolocls.formats` entry-point group of an installed package."""

from __future__ import annotations

import json
import textwrap

from .conftest import run_python

PLUGIN = '''
"""A third-party format: ONNX bytes under another suffix, with its own exporter and runtime."""
from yolocls.exporters import ExporterSpec, register_exporter
from yolocls.exporters.onnx import write_onnx
from yolocls.runtimes import register_runtime
from yolocls.runtimes.onnx import OnnxRuntime


@register_exporter(ExporterSpec(name="thirdparty", title="Third party", suffix=".tp", extra="thirdparty",
                                requires=("onnx",), options=frozenset({"imgsz"})))
def export(ctx):
    return write_onnx(ctx.model, ctx.path, imgsz=ctx.imgsz, metadata=ctx.metadata)


@register_runtime
class ThirdPartyRuntime(OnnxRuntime):
    name = "thirdparty"
    suffixes = (".tp",)
'''


def test_a_format_from_an_installed_distribution_is_registered_exported_and_loaded(tmp_path, digits_ckpt):
    site = tmp_path / "site"
    dist = site / "yolocls_thirdparty-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: yolocls-thirdparty\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[yolocls.formats]\nthirdparty = yolocls_thirdparty\n"
                                           "broken = yolocls_thirdparty_missing\n")
    (site / "yolocls_thirdparty.py").write_text(textwrap.dedent(PLUGIN))
    ckpt = tmp_path / "best.pt"
    ckpt.write_bytes(digits_ckpt.read_bytes())
    code = f'''
    import json, warnings
    import numpy as np
    import yolocls
    from yolocls import YOLO
    from yolocls.engine.export_many import export_formats
    from yolocls.exporters import parse_formats
    from yolocls.exporters._registry import exporter_names
    from yolocls.runtimes import detect_format
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = exporter_names()
    res = export_formats({str(ckpt)!r}, "thirdparty", verbose=False)[0]
    y = YOLO(res.path)
    print(json.dumps({{"file": yolocls.__file__, "names": names, "all": parse_formats("all"),
                      "status": res.status, "verified": res.verified, "path": res.path,
                      "detected": detect_format(res.path), "format": y.format,
                      "probs": y.runtime.predict(np.zeros((2, 3, 32, 32), np.float32)).sum(1).tolist(),
                      "warnings": [str(w.message) for w in caught]}}))
    '''
    r = run_python(code, pythonpath=(site,))
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out["names"][-1] == "thirdparty" and out["names"][:3] == ["torchscript", "onnx", "openvino"]
    assert "thirdparty" in out["all"]
    assert out["status"] == "ok" and out["verified"] and out["path"].endswith("best.tp")
    assert out["detected"] == out["format"] == "thirdparty"
    assert all(abs(s - 1) < 1e-4 for s in out["probs"])
    assert any("'broken'" in w and "failed to load" in w for w in out["warnings"])  # a broken plugin only warns
