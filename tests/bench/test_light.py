"""The bench's own process and its run children stay free of torch: a runtime is measured with its own
imports only, and the parent starts fast."""

from __future__ import annotations

import subprocess
import sys


def test_bench_modules_import_without_torch():
    code = ("import sys, yolocls.bench, yolocls.bench.runner, yolocls.bench.report, yolocls.bench.child, "
            "yolocls.bench.environment, yolocls.bench.demo, yolocls.bench.options; yolocls.bench.options.parse_batches('1,8'); "
            "bad = [m for m in ('torch', 'onnxruntime', 'openvino', 'tensorflow') if m in sys.modules]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
