"""Deployed ONNX and OpenVINO artifacts run where PyTorch is not installed; a missing runtime is named."""

from __future__ import annotations

import json

import pytest

from .conftest import run_python

PREDICT = '''
import json, sys
import numpy as np
from yolocls import YOLO
from yolocls.data.preprocess import preprocess
from yolocls.data.digits import digits_arrays
y = YOLO({path!r})
p = y.runtime.predict(preprocess(digits_arrays()[0][0], y.imgsz)[None])
print(json.dumps({{"format": y.format, "names": len(y.names), "sum": float(p.sum()), "top1": int(p.argmax()),
                  "torch": "torch" in sys.modules}}))
'''


@pytest.mark.parametrize("fmt", ["onnx", "openvino"])
def test_runtime_predicts_with_torch_unimportable(fmt, exported):
    r = run_python(PREDICT.format(path=str(exported[fmt])), blocked=("torch",))
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == {"format": fmt, "names": 10, "sum": pytest.approx(1, abs=1e-4), "top1": 0, "torch": False}


@pytest.mark.parametrize(("fmt", "package"), [("onnx", "onnxruntime"), ("openvino", "openvino")])
def test_missing_runtime_package_names_the_pip_extra(fmt, package, exported):
    code = f'''
    from yolocls import YOLO
    from yolocls.errors import MissingDependencyError
    try:
        YOLO({str(exported[fmt])!r})
    except MissingDependencyError as e:
        print("ERR", e)
    '''
    r = run_python(code, blocked=(package,))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"format '{fmt}' needs {package}, which is not installed. Fix: pip install 'yolocls[{fmt}]'" in r.stdout
