"""TF.js backend: the graph model runs in Node.js (@tensorflow/tfjs, wasm or cpu backend).

One `node tfjs_runner.js` process per runtime, started at load and kept alive: batches stream in over stdin
and probabilities come back over stdout as length-prefixed float32 frames (protocol in tfjs_runner.js).
Options: `backend` ("wasm", default; or "cpu", pure JavaScript and ~30x slower), `timeout` (seconds the
runner may stay silent, loading or running a batch, before it is killed; default 120). The npm packages come from `python -m yolocls.runtimes.tfjs_setup`.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path

import numpy as np

from .. import metadata as md_io
from .._tf import batch_is_free, to_layout
from ..errors import ArtifactError, ArtifactMissingError, MissingDependencyError
from . import tfjs_setup
from ._base import Runtime
from ._registry import register_runtime

RUNNER = Path(__file__).with_name("tfjs_runner.js")
MODEL_JSON = "model.json"  # the graph model's topology and weights manifest, beside its .bin shards


def check_model_json(path: Path) -> None:
    """The graph model's model.json must exist, parse, and name weight shards that exist (node's own errors for
    these are a JavaScript stack)."""
    if not path.is_file():
        raise ArtifactMissingError(path, "tfjs", "the file is missing")
    try:
        doc = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise ArtifactError(path, "tfjs", f"the file is truncated or not JSON ({e})") from None
    shards = [p for group in doc.get("weightsManifest", []) if isinstance(group, dict) for p in group.get("paths", [])]
    missing = [s for s in shards if not (path.parent / s).is_file()]
    if missing:
        raise ArtifactMissingError(path.parent / missing[0], "tfjs", "a weight shard model.json names is missing")


def _stop(proc: subprocess.Popen, log) -> None:
    if proc.poll() is None:
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.stdout.close()
    log.close()


@register_runtime
class TFJSRuntime(Runtime):
    name = "tfjs"
    suffixes = ("_web_model",)
    extra = "tfjs"

    def load(self) -> None:
        self.metadata = md_io.read_metadata_file(self.path)
        check_model_json(self.path / MODEL_JSON)
        node = shutil.which("node")
        if node is None:
            raise MissingDependencyError("tfjs", "Node.js (the `node` command)", hint="install Node.js 18+ (e.g. "
                                         f"`apt-get install nodejs npm`), then run `{tfjs_setup.SETUP_COMMAND}`")
        folder = tfjs_setup.node_dir()
        missing = tfjs_setup.missing_packages(folder)
        if missing:
            raise MissingDependencyError("tfjs", f"the npm packages {', '.join(missing)} (in {folder})",
                                         hint=tfjs_setup.SETUP_COMMAND)
        self.backend = str(self.options.get("backend", "wasm"))
        self.log = tempfile.TemporaryFile()  # stderr: tfjs banners and errors, read back on failure
        self.proc = subprocess.Popen([node, str(RUNNER), str(self.path), str(folder), self.backend],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self._finalizer = weakref.finalize(self, _stop, self.proc, self.log)
        self._lock = threading.Lock()
        self.timeout = float(self.options.get("timeout", 120))
        n, payload = self._read_frame()
        if n != 0:
            raise RuntimeError(f"tfjs runner sent an unexpected first frame (n={n})")
        self.info = json.loads(payload)
        inputs = self.info.get("inputs") or [{}]
        self.free_batch = self.takes_free_batch(batch_is_free(inputs[0].get("shape")))

    def _read_exact(self, size: int) -> bytes:
        data = self.proc.stdout.read(size)
        if len(data) != size:
            self.proc.wait(timeout=10)
            self.log.seek(0)
            err = self.log.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"tfjs runner for '{self.path}' exited (code {self.proc.returncode}):\n{err}")
        return data

    def _read_frame(self) -> tuple[int, bytes]:
        """The next reply; a runner silent for `timeout` seconds is killed, which ends the read with an error."""
        watchdog = threading.Timer(self.timeout, self.proc.kill)
        watchdog.start()
        try:
            n, k = struct.unpack("<ii", self._read_exact(8))
            payload = self._read_exact(n * k * 4 if n > 0 else k)
        finally:
            watchdog.cancel()
        if n < 0:
            raise RuntimeError(f"tfjs runner error for '{self.path}':\n{payload.decode(errors='replace')}")
        return n, payload

    def version(self) -> str:
        return f"tfjs {self.info.get('tfjs')} ({self.info.get('backend')}, node {self.info.get('node')})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(to_layout(x, self.metadata), dtype="<f4")
        with self._lock:
            self.proc.stdin.write(struct.pack("<4I", *x.shape) + x.tobytes())
            self.proc.stdin.flush()
            n, payload = self._read_frame()
        return np.frombuffer(payload, dtype="<f4").reshape(n, -1).copy()

    def close(self) -> None:
        """Stop the Node process (also done when the runtime is garbage-collected or at exit)."""
        self._finalizer()
