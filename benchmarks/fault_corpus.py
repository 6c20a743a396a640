"""The fault-injection corpus of issue 22: bad inputs and faults as users and real machines produce them, run as
real CLI or Python processes, each outcome classified.

Run: PYTHONPATH=. .venv/bin/python benchmarks/fault_corpus.py [--root CHECKOUT] [--only ID,...] [--json OUT]
`--root` picks the yolocls checkout under test (default: this one), so the same corpus measures a branch and
main side by side. Disk-full cases mount a small tmpfs when the process may (root), else they limit the file
size of the child (RLIMIT_FSIZE). URL cases use a loopback HTTP server. (A script, not a test: ~15 minutes.)

Outcomes: `clear` (an error that names the file or argument, no traceback), `ok` (a case whose right answer is
success, and it succeeded), and the faults `traceback`, `crash` (killed by a signal), `hang` (ran past the
case's time limit), `unclear` (an error that does not name the thing, or blames the wrong thing), `replaced`
(a bad value silently replaced or accepted, or data lost or replaced), `failed` (a right request that failed),
`leak` (files or memory left behind).
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GOOD = ("clear", "ok")
TRACEBACK = "Traceback (most recent call last)"
PY = sys.executable


@dataclass
class Proc:
    rc: int | None
    out: str
    seconds: float
    timed_out: bool = False

    @property
    def signal(self) -> str | None:
        if self.rc is not None and self.rc < 0:
            return signal.Signals(-self.rc).name
        return None


@dataclass
class Case:
    id: str
    group: str
    what: str
    fn: Callable[[Ctx], tuple[str, str]]


CASES: list[Case] = []


def case(id: str, group: str, what: str):
    def deco(fn):
        CASES.append(Case(id, group, what, fn))
        return fn
    return deco


def judge_error(p: Proc, *needles: str) -> tuple[str, str]:
    """An error case: rc != 0, no traceback, no signal, in time, and the output names one of `needles`."""
    tail = " | ".join(ln for ln in p.out.strip().splitlines()[-2:])[:220]
    if p.timed_out:
        return "hang", f"killed after {p.seconds:.0f} s"
    if p.signal:
        return "crash", f"{p.signal}: {tail}"
    if TRACEBACK in p.out:
        last = [ln for ln in p.out.splitlines() if ln.strip()][-1][:200]
        return "traceback", last
    if p.rc == 0:
        return "replaced", f"accepted (rc 0): {tail}"
    if not any(n.lower() in p.out.lower() for n in needles):
        return "unclear", tail
    return "clear", tail


def judge_ok(p: Proc, note: str = "") -> tuple[str, str] | None:
    """None when the process ran cleanly; else the fault label."""
    if p.timed_out:
        return "hang", f"killed after {p.seconds:.0f} s"
    if p.signal:
        return "crash", p.signal
    if TRACEBACK in p.out:
        return "traceback", [ln for ln in p.out.splitlines() if ln.strip()][-1][:200]
    if p.rc != 0:
        return "failed", " | ".join(p.out.strip().splitlines()[-2:])[:220]
    return None


class Ctx:
    """The corpus's workspace: the checkout under test, a temp folder, shared artifacts, small filesystems."""

    def __init__(self, root: Path, work: Path):
        self.root, self.work = root, work
        self.env = {**os.environ, "PYTHONPATH": str(root), "YOLOCLS_DATASETS": str(work / "datasets"),
                    "YOLOCLS_HOME": str(work / "home"), "YOLO_OFFLINE": "1", "PYTHONWARNINGS": "default"}
        self.env.pop("YOLOCLS_DEBUG", None)
        self.mounts: list[Path] = []
        self.can_mount = os.geteuid() == 0 and self._try_mount()
        self.server = LoopbackServer()
        self._art: Path | None = None

    # --- processes -------------------------------------------------------------------------------------------
    def run(self, argv: list[str], timeout: float = 180, env: dict[str, str] | None = None, cwd: Path | None = None,
            fsize: int | None = None) -> Proc:
        def limit() -> None:
            os.setsid()
            if fsize is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env={**self.env, **(env or {})}, cwd=cwd or self.work, preexec_fn=limit)
        try:
            out, _ = p.communicate(timeout=timeout)
            return Proc(p.returncode, out.decode(errors="replace"), time.perf_counter() - t0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            return Proc(p.returncode, out.decode(errors="replace"), time.perf_counter() - t0, timed_out=True)

    def cli(self, *args: str, **kw) -> Proc:
        return self.run([PY, "-m", "yolocls", *args], **kw)

    def py(self, code: str, **kw) -> Proc:
        return self.run([PY, "-c", code], **kw)

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**self.env, **(env or {})}, cwd=self.work, start_new_session=True)

    # --- files -----------------------------------------------------------------------------------------------
    def dir(self, name: str) -> Path:
        d = self.work / "cases" / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return d

    @property
    def art(self) -> Path:
        """A model trained one epoch on digits at imgsz 32, exported once to the formats the cases corrupt."""
        if self._art is None:
            art = self.work / "art"
            art.mkdir(exist_ok=True)
            p = self.cli("train", "data=digits", "epochs=1", "imgsz=32", "batch=64", "plots=False",
                         f"project={self.work / 'runs'}", "name=base", "exist_ok=True", timeout=600)
            if p.rc != 0:
                raise SystemExit(f"could not train the corpus model:\n{p.out[-3000:]}")
            shutil.copy(self.work / "runs" / "base" / "weights" / "best.pt", art / "best.pt")
            p = self.cli("export", f"model={art / 'best.pt'}", "format=onnx,torchscript,openvino,tflite,pb,"
                         "saved_model,ncnn,paddle,tfjs", timeout=900)
            missing = [n for n in ("best.onnx", "best.torchscript", "best_openvino_model", "best.tflite", "best.pb",
                                   "best_saved_model", "best_ncnn_model", "best_paddle_model", "best_web_model")
                       if not (art / n).exists()]
            if missing:
                raise SystemExit(f"corpus exports missing {missing}:\n{p.out[-3000:]}")
            from PIL import Image

            src = sorted((self.work / "datasets" / "digits" / "val" / "3").iterdir())[0]
            Image.open(src).save(art / "img.png")
            self._art = art
        return self._art

    def copy(self, name: str, into: Path) -> Path:
        src = self.art / name
        dst = into / name
        shutil.copytree(src, dst) if src.is_dir() else shutil.copy(src, dst)
        return dst

    # --- small filesystems -----------------------------------------------------------------------------------
    def _try_mount(self) -> bool:
        d = Path(tempfile.mkdtemp(prefix="corpus-mnt-"))
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(d)], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(d)], capture_output=True)
        d.rmdir()
        return ok

    def small_fs(self, name: str, size_bytes: int) -> Path | None:
        """A tmpfs of `size_bytes` (None where this process cannot mount; the case then limits file sizes)."""
        d = self.dir(name) / "fs"
        d.mkdir()
        if not self.can_mount:
            return None
        size = max(4096, (size_bytes + 4095) // 4096 * 4096)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)], check=True)
        self.mounts.append(d)
        return d

    def close(self) -> None:
        for d in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(d)], capture_output=True)
        self.server.close()


class LoopbackServer:
    """127.0.0.1 HTTP server: /drip (one byte every 2 s), /huge (500 MB body), /missing (404), /flaky/<name>.zip
    (503 twice, then the archive), /bomb/<name>.zip (an archive that unpacks to 64 MB), /ds/<name>.zip."""

    def __init__(self) -> None:
        self.archives: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                server.hits[self.path] += 1
                try:
                    if self.path == "/drip":
                        self.send_response(200)
                        self.send_header("Content-Length", "1000")
                        self.end_headers()
                        for _ in range(1000):
                            self.wfile.write(b"\x89")
                            self.wfile.flush()
                            time.sleep(2)
                    elif self.path == "/huge":
                        self.send_response(200)
                        self.send_header("Content-Type", "image/png")
                        self.send_header("Content-Length", str(500 << 20))
                        self.end_headers()
                        chunk = b"\0" * (1 << 20)
                        for _ in range(500):
                            self.wfile.write(chunk)
                    elif self.path.startswith("/flaky/") and server.hits[self.path] <= 2:
                        self.send_error(503, "busy")
                    elif self.path.rsplit("/", 1)[-1] in server.archives:
                        kind = self.path.split("/")[1]
                        data = server.archives[self.path.rsplit("/", 1)[-1]]
                        if kind == "bomb":
                            data = server.bomb(data)
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    else:
                        self.send_error(404, "not here")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def bomb(data: bytes) -> bytes:
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
            z.writestr("mnist160/train/0/padding.bin", b"\0" * (64 << 20))
        return buf.getvalue()

    def close(self) -> None:
        self.httpd.shutdown()


def small_dataset_zip(digits: Path, name: str, per_class: int = 4) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for split in ("train", "val"):
            for c in ("0", "1"):
                for f in sorted((digits / split / c).iterdir())[:per_class]:
                    z.write(f, f"{name}/{split}/{c}/{f.name}")
    return buf.getvalue()


# ================================================================================================================
# 1. Corrupt, truncated and misnamed artifacts
# ================================================================================================================
def _predict_bad(ctx: Ctx, name: str, make: Callable[[Path], Path], *needles: str) -> tuple[str, str]:
    d = ctx.dir(name)
    path = make(d)
    p = ctx.cli("predict", f"model={path}", f"source={ctx.art / 'img.png'}", timeout=120)
    return judge_error(p, path.name, *needles)


def _write(d: Path, name: str, data: bytes) -> Path:
    (d / name).write_bytes(data)
    return d / name


def _truncated(ctx: Ctx, d: Path, name: str, frac: float = 0.5) -> Path:
    data = (ctx.art / name).read_bytes()
    return _write(d, name, data[: int(len(data) * frac)])


RANDOM = bytes((i * 7919 + 13) % 251 for i in range(50_000))


@case("onnx-random", "artifact", "random bytes named best.onnx")
def _(ctx):
    return _predict_bad(ctx, "onnx-random", lambda d: _write(d, "best.onnx", RANDOM))


@case("onnx-truncated", "artifact", "best.onnx cut to half its size")
def _(ctx):
    return _predict_bad(ctx, "onnx-truncated", lambda d: _truncated(ctx, d, "best.onnx"))


@case("onnx-empty", "artifact", "a zero-byte best.onnx")
def _(ctx):
    return _predict_bad(ctx, "onnx-empty", lambda d: _write(d, "best.onnx", b""))


@case("pt-as-onnx", "artifact", "a .pt checkpoint renamed best.onnx")
def _(ctx):
    return _predict_bad(ctx, "pt-as-onnx", lambda d: _write(d, "best.onnx", (ctx.art / "best.pt").read_bytes()))


@case("tflite-truncated", "artifact", "best.tflite cut to half (must not say 'no yolocls metadata')")
def _(ctx):
    label, note = _predict_bad(ctx, "tflite-truncated", lambda d: _truncated(ctx, d, "best.tflite"))
    if label == "clear" and "no yolocls metadata" in note:
        return "unclear", note
    return label, note


@case("openvino-xml-truncated", "artifact", "best_openvino_model/ whose .xml is cut to half")
def _(ctx):
    def make(d):
        f = ctx.copy("best_openvino_model", d)
        xml = f / "best.xml"
        xml.write_bytes(xml.read_bytes()[: xml.stat().st_size // 2])
        return f
    return _predict_bad(ctx, "openvino-xml-truncated", make, "best.xml")


@case("openvino-no-bin", "artifact", "best_openvino_model/ without its .bin")
def _(ctx):
    def make(d):
        f = ctx.copy("best_openvino_model", d)
        (f / "best.bin").unlink()
        return f
    return _predict_bad(ctx, "openvino-no-bin", make, "best.bin")


@case("openvino-empty-folder", "artifact", "an empty x_openvino_model/ folder")
def _(ctx):
    def make(d):
        (d / "x_openvino_model").mkdir()
        return d / "x_openvino_model"
    return _predict_bad(ctx, "openvino-empty-folder", make)


@case("onnx-as-pt", "artifact", "an .onnx renamed best.pt (must not be called a malicious pickle)")
def _(ctx):
    label, note = _predict_bad(ctx, "onnx-as-pt", lambda d: _write(d, "best.pt", (ctx.art / "best.onnx").read_bytes()))
    if label == "clear" and ("could run code" in note or "pickle" in note.lower()):
        return "unclear", note
    return label, note


@case("pt-random", "artifact", "random bytes named best.pt")
def _(ctx):
    label, note = _predict_bad(ctx, "pt-random", lambda d: _write(d, "best.pt", RANDOM))
    if label == "clear" and "could run code" in note:
        return "unclear", note
    return label, note


@case("pt-truncated", "artifact", "best.pt cut to half its size")
def _(ctx):
    return _predict_bad(ctx, "pt-truncated", lambda d: _truncated(ctx, d, "best.pt"))


@case("torchscript-random", "artifact", "random bytes named best.torchscript")
def _(ctx):
    return _predict_bad(ctx, "torchscript-random", lambda d: _write(d, "best.torchscript", RANDOM))


@case("torchscript-truncated", "artifact", "best.torchscript cut to half its size")
def _(ctx):
    return _predict_bad(ctx, "torchscript-truncated", lambda d: _truncated(ctx, d, "best.torchscript"))


@case("pb-random", "artifact", "random bytes named best.pb")
def _(ctx):
    return _predict_bad(ctx, "pb-random", lambda d: _write(d, "best.pb", RANDOM))


@case("saved-model-pb", "artifact", "a SavedModel's saved_model.pb passed as the model (load the folder)")
def _(ctx):
    d = ctx.dir("saved-model-pb")
    f = ctx.copy("best_saved_model", d)
    p = ctx.cli("predict", f"model={f / 'saved_model.pb'}", f"source={ctx.art / 'img.png'}", timeout=180)
    bad = judge_ok(p)
    if bad:
        return bad
    return ("ok", "predicted through the folder") if "image 1/1" in p.out else ("failed", p.out[-200:])


@case("saved-model-empty", "artifact", "an empty x_saved_model/ folder")
def _(ctx):
    def make(d):
        (d / "x_saved_model").mkdir()
        return d / "x_saved_model"
    return _predict_bad(ctx, "saved-model-empty", make, "metadata.yaml")


@case("ncnn-no-bin", "artifact", "best_ncnn_model/ without model.ncnn.bin")
def _(ctx):
    def make(d):
        f = ctx.copy("best_ncnn_model", d)
        (f / "model.ncnn.bin").unlink()
        return f
    return _predict_bad(ctx, "ncnn-no-bin", make, "model.ncnn.bin")


@case("ncnn-param-random", "artifact", "best_ncnn_model/ whose model.ncnn.param is random bytes")
def _(ctx):
    def make(d):
        f = ctx.copy("best_ncnn_model", d)
        (f / "model.ncnn.param").write_bytes(RANDOM)
        return f
    return _predict_bad(ctx, "ncnn-param-random", make, "model.ncnn.param")


@case("paddle-empty", "artifact", "best_paddle_model/ with only its metadata.yaml")
def _(ctx):
    def make(d):
        f = ctx.copy("best_paddle_model", d)
        for x in f.iterdir():
            if x.name != "metadata.yaml":
                shutil.rmtree(x) if x.is_dir() else x.unlink()
        return f
    return _predict_bad(ctx, "paddle-empty", make)


@case("tfjs-json-truncated", "artifact", "best_web_model/ whose model.json is cut to half")
def _(ctx):
    def make(d):
        f = ctx.copy("best_web_model", d)
        j = f / "model.json"
        j.write_bytes(j.read_bytes()[: j.stat().st_size // 2])
        return f
    return _predict_bad(ctx, "tfjs-json-truncated", make, "model.json")


@case("missing-artifact", "artifact", "model=nope.onnx that does not exist")
def _(ctx):
    return _predict_bad(ctx, "missing-artifact", lambda d: d / "nope.onnx")


@case("unknown-suffix", "artifact", "model=best.foo (no format has that suffix)")
def _(ctx):
    return _predict_bad(ctx, "unknown-suffix", lambda d: _write(d, "best.foo", b"x"))


@case("val-corrupt-onnx", "artifact", "yolocls val on a truncated .onnx")
def _(ctx):
    d = ctx.dir("val-corrupt-onnx")
    f = _truncated(ctx, d, "best.onnx", 0.3)
    return judge_error(ctx.cli("val", f"model={f}", "data=digits", "plots=False"), f.name)


@case("export-corrupt-pt", "artifact", "yolocls export from a truncated .pt")
def _(ctx):
    d = ctx.dir("export-corrupt-pt")
    f = _truncated(ctx, d, "best.pt", 0.3)
    return judge_error(ctx.cli("export", f"model={f}", "format=onnx"), f.name)


@case("bench-corrupt-pt", "artifact", "yolocls bench on a truncated .pt")
def _(ctx):
    d = ctx.dir("bench-corrupt-pt")
    f = _truncated(ctx, d, "best.pt", 0.3)
    return judge_error(ctx.cli("bench", f"model={f}", "format=onnx", f"out={d / 'reports'}", timeout=300), f.name)


@case("malicious-pickle", "artifact", "a .pt whose pickle calls os.system (refused, nothing runs)")
def _(ctx):
    d = ctx.dir("malicious-pickle")
    marker = d / "pwned"
    code = (f"import os, torch\nclass E:\n    def __reduce__(self):\n        return (os.system, ('touch {marker}',))\n"
            f"torch.save({{'model': E()}}, '{d / 'evil.pt'}')\n")
    ctx.py(code)
    p = ctx.cli("predict", f"model={d / 'evil.pt'}", f"source={ctx.art / 'img.png'}")
    if marker.exists():
        return "crash", "the pickle ran code"
    return judge_error(p, "evil.pt")


@case("python-corrupt-onnx", "artifact", "YOLO('bad.onnx') in Python raises a yolocls error naming the file")
def _(ctx):
    d = ctx.dir("python-corrupt-onnx")
    _write(d, "bad.onnx", RANDOM)
    p = ctx.py(f"from yolocls import YOLO\nfrom yolocls.errors import YoloclsError\ntry:\n    YOLO('{d / 'bad.onnx'}')\n"
               f"except YoloclsError as e:\n    print('YOLOCLS', e)\nexcept Exception as e:\n"
               f"    print('RAW', type(e).__name__, e)\n")
    if "YOLOCLS" in p.out and "bad.onnx" in p.out:
        return "clear", p.out.strip()[-200:]
    return ("traceback" if "RAW" in p.out else "unclear"), p.out.strip()[-200:]


# ================================================================================================================
# 2. Bad values
# ================================================================================================================
def _train_bad(ctx: Ctx, name: str, *args: str, needle: str) -> tuple[str, str]:
    d = ctx.dir(name)
    p = ctx.cli("train", "data=digits", "imgsz=32", "epochs=1", "plots=False", "fraction=0.05", f"project={d}",
                *args, timeout=300)
    return judge_error(p, needle)


for _id, _arg, _needle in (("train-batch-0", "batch=0", "batch"), ("train-imgsz-0", "imgsz=0", "imgsz"),
                           ("train-lr0-abc", "lr0=abc", "lr0"), ("train-imgsz-abc", "imgsz=abc", "imgsz"),
                           ("train-epochs-0", "epochs=0", "epochs"), ("train-fraction-2", "fraction=2", "fraction"),
                           ("train-optimizer-foo", "optimizer=foo", "optimizer"),
                           ("train-augment-foo", "auto_augment=foo", "auto_augment"),
                           ("train-fliplr-1.5", "fliplr=1.5", "fliplr"), ("train-workers-neg", "workers=-1", "workers"),
                           ("train-cache-foo", "cache=foo", "cache")):
    case(_id, "value", f"yolocls train {_arg}")(lambda ctx, _id=_id, _arg=_arg, _needle=_needle:
                                                _train_bad(ctx, _id, _arg, needle=_needle))


@case("train-scale-5e-1", "value", "yolocls train --scale 5e-1 (YAML 1.1 reads it as a string; it is 0.5)")
def _(ctx):
    d = ctx.dir("train-scale-5e-1")
    p = ctx.cli("train", "data=digits", "imgsz=32", "epochs=1", "plots=False", "fraction=0.05", f"project={d}",
                "--scale", "5e-1", "val=False", timeout=300)
    bad = judge_ok(p)
    if bad:
        return bad
    args = (d / "train" / "args.yaml").read_text()
    return ("ok", "scale: 0.5 recorded") if "scale: 0.5" in args else ("replaced", "scale not recorded as 0.5")


@case("predict-cuda", "value", "yolocls predict model=best.pt device=cuda:0 on a machine without CUDA")
def _(ctx):
    return judge_error(ctx.cli("predict", f"model={ctx.art / 'best.pt'}", f"source={ctx.art / 'img.png'}",
                               "device=cuda:0"), "cuda", "device")


@case("val-cuda", "value", "yolocls val model=best.pt device=cuda:0 on a machine without CUDA")
def _(ctx):
    return judge_error(ctx.cli("val", f"model={ctx.art / 'best.pt'}", "data=digits", "device=cuda:0",
                               "plots=False"), "cuda", "device")


@case("export-cuda", "value", "yolocls export device=cuda:0 on a machine without CUDA (must not be ignored)")
def _(ctx):
    d = ctx.dir("export-cuda")
    f = ctx.copy("best.pt", d)
    return judge_error(ctx.cli("export", f"model={f}", "format=onnx", "device=cuda:0"), "cuda", "device")


@case("val-epochs", "value", "yolocls val epochs=3 (a train argument; must not be dropped silently)")
def _(ctx):
    return judge_error(ctx.cli("val", f"model={ctx.art / 'best.pt'}", "data=digits", "epochs=3", "plots=False"),
                       "epochs")


@case("predict-batch-0", "value", "yolocls predict batch=0")
def _(ctx):
    return judge_error(ctx.cli("predict", f"model={ctx.art / 'best.pt'}", f"source={ctx.art / 'img.png'}",
                               "batch=0"), "batch")


@case("export-opset-99", "value", "yolocls export opset=99")
def _(ctx):
    d = ctx.dir("export-opset-99")
    return judge_error(ctx.cli("export", f"model={ctx.copy('best.pt', d)}", "format=onnx", "opset=99"), "opset")


@case("export-imgsz-abc", "value", "yolocls export imgsz=abc")
def _(ctx):
    d = ctx.dir("export-imgsz-abc")
    return judge_error(ctx.cli("export", f"model={ctx.copy('best.pt', d)}", "format=onnx", "imgsz=abc"), "imgsz")


for _id, _arg in (("bench-runs-0", "runs=0"), ("bench-timeout-neg", "timeout=-1"), ("bench-batch-0", "batch=0")):
    case(_id, "value", f"yolocls bench {_arg}")(
        lambda ctx, _id=_id, _arg=_arg: judge_error(ctx.cli("bench", f"model={ctx.art / 'best.pt'}", "format=onnx",
                                                            _arg, f"out={ctx.dir(_id)}", timeout=300),
                                                    _arg.split("=")[0]))


@case("val-split-foo", "value", "yolocls val split=foo")
def _(ctx):
    return judge_error(ctx.cli("val", f"model={ctx.art / 'best.pt'}", "data=digits", "split=foo"), "split")


@case("python-train-batch-0", "value", "YOLO(...).train(batch=0) in Python")
def _(ctx):
    d = ctx.dir("python-train-batch-0")
    p = ctx.py(f"from yolocls import YOLO\nYOLO('yolov8n-cls.yaml').train(data='digits', imgsz=32, epochs=1, batch=0, "
               f"plots=False, fraction=0.05, project='{d}')\n", timeout=300)
    return judge_error(p, "batch") if TRACEBACK not in p.out or "ConfigError" not in p.out else \
        ("clear", "ConfigError naming batch")


@case("python-val-epochs", "value", "YOLO('best.pt').val(epochs=3) in Python")
def _(ctx):
    p = ctx.py(f"from yolocls import YOLO\nYOLO('{ctx.art / 'best.pt'}').val(data='digits', epochs=3, plots=False)\n")
    if p.rc == 0:
        return "replaced", "epochs=3 accepted and dropped"
    return ("clear", "ConfigError naming epochs") if "ConfigError" in p.out and "epochs" in p.out else \
        ("unclear", p.out[-200:])


@case("python-predict-imgsz-abc", "value", "YOLO('best.pt').predict(img, imgsz='abc') in Python")
def _(ctx):
    p = ctx.py(f"from yolocls import YOLO\nYOLO('{ctx.art / 'best.pt'}').predict('{ctx.art / 'img.png'}', imgsz='abc')\n")
    if p.rc == 0:
        return "replaced", "accepted"
    last = [ln for ln in p.out.splitlines() if ln.strip()][-1]
    return ("clear", last[:200]) if last.startswith(("yolocls.errors.ConfigError", "ConfigError")) and "imgsz" in last \
        else ("traceback", last[:200])


@case("format-foo", "value", "yolocls export format=foo")
def _(ctx):
    d = ctx.dir("format-foo")
    return judge_error(ctx.cli("export", f"model={ctx.copy('best.pt', d)}", "format=foo"), "foo")


@case("data-missing", "value", "yolocls train data=/nope")
def _(ctx):
    return judge_error(ctx.cli("train", "data=/nope/dataset", "epochs=1"), "/nope")


# ================================================================================================================
# 3. Disk full
# ================================================================================================================
def _export_full(ctx: Ctx, name: str, fmt: str) -> tuple[str, str]:
    pt = ctx.art / "best.pt"
    fs = ctx.small_fs(name, pt.stat().st_size + (512 << 10))
    if fs is None:  # no mount: the export may write at most this many bytes per file
        fs, fsize = ctx.work / "cases" / name, pt.stat().st_size // 4
    else:
        fsize = None
    f = Path(shutil.copy(pt, fs / "best.pt"))
    p = ctx.cli("export", f"model={f}", f"format={fmt}", timeout=300, fsize=fsize)
    label, note = judge_error(p, "No space left", "file size limit")
    partial = [x.name for x in fs.iterdir() if x.name not in ("best.pt",) and not x.name.endswith(".json")]
    if label == "clear" and partial:
        return "leak", f"left {partial}"
    return label, note


@case("disk-torchscript", "disk", "torchscript export onto a full disk")
def _(ctx):
    return _export_full(ctx, "disk-torchscript", "torchscript")


@case("disk-onnx", "disk", "onnx export onto a full disk")
def _(ctx):
    return _export_full(ctx, "disk-onnx", "onnx")


@case("disk-openvino", "disk", "openvino export onto a full disk")
def _(ctx):
    return _export_full(ctx, "disk-openvino", "openvino")


def _csv_epochs(run: Path) -> list[int]:
    f = run / "results.csv"
    if not f.exists():
        return []
    return [int(line.split(",")[0]) for line in f.read_text().splitlines()[1:] if line.strip()]


def _weights_epoch(run: Path) -> int:
    last = run / "weights" / "last.pt"
    if not last.exists():
        return 0
    import torch

    return int(torch.load(last, map_location="cpu", weights_only=True)["epoch"]) + 1


@case("disk-train", "disk", "training into a project on a full disk")
def _(ctx):
    fs = ctx.small_fs("disk-train", 8 << 20)
    fsize = None
    if fs is None:
        fs, fsize = ctx.work / "cases" / "disk-train", 8 << 20
    p = ctx.cli("train", "data=digits", "imgsz=32", "epochs=2", "plots=False", "fraction=0.05", f"project={fs}",
                "name=run", timeout=300, fsize=fsize)
    label, note = judge_error(p, "No space left", "file size limit")
    rows, saved = _csv_epochs(fs / "run"), _weights_epoch(fs / "run")
    if any(e > saved for e in rows):
        return "replaced", f"results.csv lists epochs {rows} but last.pt holds {saved}"
    return label, note


@case("fsize-train", "disk", "training whose checkpoint write hits the file size limit (RLIMIT_FSIZE)")
def _(ctx):
    d = ctx.dir("fsize-train")
    p = ctx.cli("train", "data=digits", "imgsz=32", "epochs=2", "plots=False", "fraction=0.05", f"project={d}",
                "name=run", timeout=300, fsize=8 << 20)
    label, note = judge_error(p, "file size limit", "No space left")
    rows, saved = _csv_epochs(d / "run"), _weights_epoch(d / "run")
    if any(e > saved for e in rows):
        return "replaced", f"results.csv lists epochs {rows} but last.pt holds {saved}"
    return label, note


@case("disk-bench-tmpdir", "disk", "the bench with a full TMPDIR")
def _(ctx):
    fs = ctx.small_fs("disk-bench-tmpdir", 2 << 20)
    env, fsize = {"TMPDIR": str(fs)} if fs else {}, None if fs else 2 << 20
    d = ctx.work / "cases" / "disk-bench-tmpdir"
    p = ctx.cli("bench", f"model={ctx.art / 'best.pt'}", "format=onnx", f"out={d / 'reports'}", "data=digits",
                env=env, timeout=300, fsize=fsize)
    return judge_error(p, "No space left", "file size limit")


@case("disk-predict-save", "disk", "predict save=True into a project on a full disk")
def _(ctx):
    fs = ctx.small_fs("disk-predict-save", 16 << 10)
    fsize = None
    if fs is None:
        fs, fsize = ctx.work / "cases" / "disk-predict-save", 1 << 10
    src = ctx.work / "datasets" / "digits" / "val" / "3"
    p = ctx.cli("predict", f"model={ctx.art / 'best.onnx'}", f"source={src}", "save=True", f"project={fs}",
                timeout=120, fsize=fsize)
    return judge_error(p, "No space left", "file size limit")


# ================================================================================================================
# 4. Concurrency and precision
# ================================================================================================================
def _concurrent_export(ctx: Ctx, name: str, fmt: str, artifact: str) -> tuple[str, str]:
    d = ctx.dir(name)
    f = Path(shutil.copy(ctx.art / "best.pt", d / "same.pt"))
    argv = [PY, "-c", "import sys; from yolocls.cli import export_main; sys.exit(export_main())",
            "--model", str(f), "--format", fmt]
    procs = [ctx.start(argv) for _ in range(2)]
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        outs.append((p.returncode, out.decode(errors="replace")))
    dest = d / artifact
    for _rc, out in outs:
        if TRACEBACK in out:
            return "traceback", out.strip().splitlines()[-1][:200]
    if not dest.exists():
        return "replaced", f"rcs {[rc for rc, _ in outs]} but {dest.name} is gone: {sorted(x.name for x in d.iterdir())}"
    check = ctx.py(f"from yolocls.runtimes import load_runtime\nimport numpy as np\n"
                   f"print(load_runtime('{dest}').predict(np.zeros((1,3,32,32),np.float32)).shape)\n")
    if check.rc != 0:
        return "replaced", f"{dest.name} does not load: {check.out[-200:]}"
    left = [x.name for x in d.iterdir() if x.name.startswith(".")]
    if left:
        return "leak", f"left {left}"
    failed = [out for rc, out in outs if rc != 0]
    if failed:  # losing the race is allowed only with a message that says so
        why = [ln for ln in failed[0].splitlines() if "failed" in ln or "error" in ln.lower()][-1:] or [failed[0][-200:]]
        said = any(w in failed[0].replace(str(d), "").lower() for w in ("another process", "concurrent"))
        return ("clear" if said else "unclear"), f"rcs {[rc for rc, _ in outs]}: {why[0][:180]}"
    return "ok", f"rcs {[rc for rc, _ in outs]}, {dest.name} loads"


@case("concurrent-openvino", "concurrency", "two openvino exports of one .pt at once")
def _(ctx):
    return _concurrent_export(ctx, "concurrent-openvino", "openvino", "same_openvino_model")


@case("concurrent-onnx", "concurrency", "two onnx exports of one .pt at once")
def _(ctx):
    return _concurrent_export(ctx, "concurrent-onnx", "onnx", "same.onnx")


def _precision(ctx: Ctx, name: str, fmt: str, flag: str, plain: str, tagged: str) -> tuple[str, str]:
    d = ctx.dir(name)
    f = ctx.copy("best.pt", d)
    a = ctx.cli("export", f"model={f}", f"format={fmt}", timeout=300)
    b = ctx.cli("export", f"model={f}", f"format={fmt}", flag, f"data={ctx.work / 'datasets' / 'digits'}",
                timeout=300)
    for p in (a, b):
        bad = judge_ok(p)
        if bad:
            return bad
    code = ("from yolocls.runtimes import load_runtime\n"
            f"print('P', load_runtime('{d / plain}').metadata['precision'])\n")
    p = ctx.py(code)
    if "P fp32" not in p.out:
        return "replaced", f"{plain} now holds {p.out.strip()[-60:]}"
    if not (d / tagged).exists():
        return "failed", f"no {tagged}"
    q = ctx.py(f"from yolocls import YOLO\nm = YOLO('{d / tagged}')\nprint('P', m.runtime.metadata['precision'])\n")
    return ("ok", f"{plain} fp32 kept, {tagged} loads") if q.rc == 0 else ("failed", q.out[-200:])


@case("precision-tflite-int8", "concurrency", "an int8 tflite export after the fp32 one")
def _(ctx):
    return _precision(ctx, "precision-tflite-int8", "tflite", "int8=True", "best.tflite", "best_int8.tflite")


@case("precision-openvino-half", "concurrency", "a half openvino export after the fp32 one")
def _(ctx):
    return _precision(ctx, "precision-openvino-half", "openvino", "half=True", "best_openvino_model",
                      "best_fp16_openvino_model")


@case("precision-onnx-half", "concurrency", "a half onnx export after the fp32 one")
def _(ctx):
    return _precision(ctx, "precision-onnx-half", "onnx", "half=True", "best.onnx", "best_fp16.onnx")


@case("manifest-merge", "concurrency", "export onnx, then openvino: the manifest keeps both")
def _(ctx):
    d = ctx.dir("manifest-merge")
    f = ctx.copy("best.pt", d)
    for fmt in ("onnx", "openvino"):
        bad = judge_ok(ctx.cli("export", f"model={f}", f"format={fmt}", timeout=300))
        if bad:
            return bad
    doc = json.loads((d / "best_export_manifest.json").read_text())
    got = sorted(e["format"] for e in doc["formats"])
    return ("ok", f"formats {got}") if got == ["onnx", "openvino"] else ("replaced", f"manifest lists {got}")


@case("run-dir-race", "concurrency", "two validations with the same name= at once get separate folders")
def _(ctx):
    d = ctx.dir("run-dir-race")
    argv = [PY, "-m", "yolocls", "val", f"model={ctx.art / 'best.onnx'}", "data=digits", f"project={d}", "name=same"]
    procs = [ctx.start(argv) for _ in range(2)]
    for p in procs:
        p.communicate(timeout=300)
    folders = sorted(x.name for x in d.iterdir())
    return ("ok", f"{folders}") if len(folders) == 2 else ("replaced", f"both wrote into {folders}")


# ================================================================================================================
# 5. URLs and downloads
# ================================================================================================================
@case("url-drip", "url", "predict on a URL that drips one byte every 2 s (deadline 5 s via YOLOCLS_URL_DEADLINE)")
def _(ctx):
    url = f"{ctx.server.url}/drip"
    p = ctx.cli("predict", f"model={ctx.art / 'best.onnx'}", f"source={url}", timeout=60,
                env={"YOLOCLS_URL_DEADLINE": "5", "YOLOCLS_URL_TIMEOUT": "3"})
    return judge_error(p, url)


@case("url-huge", "url", "predict on a URL with a 500 MB body (size cap)")
def _(ctx):
    url = f"{ctx.server.url}/huge"
    code = ("import resource, sys\nfrom yolocls.cli import main\nrc = main(sys.argv[1:])\n"
            "print(f'PEAK {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}')\nsys.exit(rc)\n")
    p = ctx.run([PY, "-c", code, "predict", f"model={ctx.art / 'best.onnx'}", f"source={url}"], timeout=120)
    peak = int(next((ln.split()[1] for ln in p.out.splitlines() if ln.startswith("PEAK")), "0"))
    label, note = judge_error(p, url)
    if label == "clear" and peak > 400:
        return "leak", f"read the body into memory (peak {peak} MB): {note}"
    return label, f"peak {peak} MB: {note}"


@case("url-404", "url", "predict on a URL that answers 404")
def _(ctx):
    url = f"{ctx.server.url}/missing"
    return judge_error(ctx.cli("predict", f"model={ctx.art / 'best.onnx'}", f"source={url}"), url)


def _dataset_env(ctx: Ctx, name: str, kind: str) -> tuple[Path, dict[str, str]]:
    d = ctx.dir(name)
    ctx.server.archives["mnist160.zip"] = small_dataset_zip(ctx.work / "datasets" / "digits", "mnist160")
    return d, {"YOLOCLS_DATASETS": str(d), "YOLOCLS_DATASETS_URL": f"{ctx.server.url}/{kind}"}


@case("download-retry", "url", "a dataset mirror that answers 503 twice, then the archive (retried)")
def _(ctx):
    d, env = _dataset_env(ctx, "download-retry", "flaky")
    ctx.server.hits.clear()
    p = ctx.cli("val", f"model={ctx.art / 'best.onnx'}", "data=mnist160", "plots=False", env=env, timeout=180)
    bad = judge_ok(p)
    return bad or (("ok", "downloaded on a retry") if (d / "mnist160" / "train").is_dir() else ("failed", p.out[-200:]))


@case("download-bomb", "url", "a dataset archive that unpacks to more than the free space")
def _(ctx):
    d, env = _dataset_env(ctx, "download-bomb", "bomb")
    fs = ctx.small_fs("download-bomb-fs", 16 << 20)
    fsize = None
    if fs is None:
        fs, fsize = d, 16 << 20
    env["YOLOCLS_DATASETS"] = str(fs)
    p = ctx.cli("val", f"model={ctx.art / 'best.onnx'}", "data=mnist160", "plots=False", env=env, timeout=180,
                fsize=fsize)
    label, note = judge_error(p, "No space left", "file size limit")
    if list(fs.glob(".mnist160*")):
        return "leak", f"left {[x.name for x in fs.iterdir()]}"
    return label, note


# ================================================================================================================
# 6. Huge images
# ================================================================================================================
def _huge_dataset(ctx: Ctx, name: str, side: int) -> Path:
    from PIL import Image

    d = ctx.dir(name) / "data"
    for split in ("train", "val"):
        for c in ("0", "1"):
            (d / split / c).mkdir(parents=True)
            for f in sorted((ctx.work / "datasets" / "digits" / split / c).iterdir())[:8]:
                shutil.copy(f, d / split / c / f.name)
    Image.new("RGB", (side, side), (200, 30, 30)).save(d / "train" / "0" / "huge.png")
    return d


@case("huge-image-train", "image", "a 12000x12000 PNG in a training folder (no raw warning, decoded reduced once)")
def _(ctx):
    data = _huge_dataset(ctx, "huge-image-train", 12000)
    p = ctx.cli("train", f"data={data}", "imgsz=32", "epochs=2", "plots=False", "batch=8",
                f"project={data.parent}", timeout=600)
    bad = judge_ok(p)
    if bad:
        return bad
    if "DecompressionBomb" in p.out:
        return "unclear", "Pillow's raw DecompressionBombWarning"
    if "huge.png" not in p.out:
        return "unclear", "the scan summary does not mention the huge image"
    return "ok", [ln for ln in p.out.splitlines() if "huge.png" in ln][0][:200]


@case("image-over-limit", "image", "predict on an image over the pixel limit (YOLOCLS_MAX_PIXELS=1000000)")
def _(ctx):
    from PIL import Image

    d = ctx.dir("image-over-limit")
    Image.new("RGB", (2000, 2000)).save(d / "big.png")
    p = ctx.cli("predict", f"model={ctx.art / 'best.onnx'}", f"source={d / 'big.png'}",
                env={"YOLOCLS_MAX_PIXELS": "1000000"})
    return judge_error(p, "big.png")


# ================================================================================================================
# 7. The bench
# ================================================================================================================
@case("bench-plain-script", "bench", "yolocls.bench.run(...) at module level of a plain script")
def _(ctx):
    d = ctx.dir("bench-plain-script")
    script = d / "bench_me.py"
    script.write_text(f"import yolocls.bench\nrows = yolocls.bench.run(model='{ctx.art / 'best.pt'}', data='digits', "
                      f"formats='onnx', imgsz=32, runs=5, out=None, verbose=False)\n"
                      f"print('ROWS', [(r.format, r.status) for r in rows])\n")
    p = ctx.run([PY, str(script)], timeout=300, cwd=d)
    bad = judge_ok(p)
    if bad:
        if "reference model" in p.out:
            return "unclear", "blames the checkpoint: " + [ln for ln in p.out.splitlines() if "reference" in ln][-1][:160]
        return bad
    return ("ok", p.out.strip().splitlines()[-1][:200]) if "('onnx', 'ok')" in p.out else ("failed", p.out[-200:])


@case("bench-killed-temp", "bench", "a bench killed with SIGKILL: its yolocls-bench-* folder is cleaned next run")
def _(ctx):
    d = ctx.dir("bench-killed-temp")
    tmp = d / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    p = ctx.start([PY, "-m", "yolocls", "bench", f"model={ctx.art / 'best.pt'}", "format=onnx", "data=digits",
                   f"out={d}"], env=env)
    t0 = time.time()
    while time.time() - t0 < 120 and not list(tmp.glob("yolocls-bench-*/val_x.npy")):
        time.sleep(0.2)
    time.sleep(1)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate()
    left = sorted(x.name for x in tmp.glob("yolocls-bench-*"))
    if not left:
        return "failed", "no temp folder appeared"
    q = ctx.cli("bench", f"model={ctx.art / 'best.pt'}", "format=onnx", "data=digits", "runs=5", f"out={d}",
                env=env, timeout=300)
    bad = judge_ok(q)
    if bad:
        return bad
    still = [x for x in left if (tmp / x).exists()]
    return ("leak", f"{still} still there after the next run") if still else ("ok", f"{left} removed")


# ================================================================================================================
# 8. Training robustness (already right when the issue was filed; kept so a regression shows)
# ================================================================================================================
@case("train-kill9-resume", "train", "training killed with SIGKILL mid-run resumes to the end")
def _(ctx):
    d = ctx.dir("train-kill9-resume")
    p = ctx.start([PY, "-m", "yolocls", "train", "data=digits", "imgsz=32", "epochs=3", "plots=False",
                   "fraction=0.2", f"project={d}", "name=run"])
    last = d / "run" / "weights" / "last.pt"
    t0 = time.time()
    while time.time() - t0 < 300 and not last.exists():
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate()
    q = ctx.cli("train", "resume=True", f"model={last}", timeout=300)
    bad = judge_ok(q)
    if bad:
        return bad
    rows = _csv_epochs(d / "run")
    return ("ok", f"epochs {rows}") if rows == [1, 2, 3] else ("failed", f"results.csv epochs {rows}")


@case("train-ctrl-c", "train", "Ctrl-C (SIGINT) during training: clean exit, last.pt kept")
def _(ctx):
    d = ctx.dir("train-ctrl-c")
    p = ctx.start([PY, "-m", "yolocls", "train", "data=digits", "imgsz=32", "epochs=5", "plots=False",
                   "fraction=0.2", f"project={d}", "name=run"])
    last = d / "run" / "weights" / "last.pt"
    t0 = time.time()
    while time.time() - t0 < 300 and not last.exists():
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGINT)
    out = p.communicate(timeout=120)[0].decode(errors="replace")
    if TRACEBACK in out:
        return "traceback", out.strip().splitlines()[-1][:200]
    return ("ok", "interrupted cleanly") if p.returncode == 130 and last.exists() else ("failed", out[-200:])


@case("train-class-mismatch", "train", "val split with a class folder train does not have")
def _(ctx):
    data = _huge_dataset(ctx, "train-class-mismatch", 8)
    (data / "val" / "7").mkdir()
    shutil.copy(next((data / "val" / "0").iterdir()), data / "val" / "7" / "x.png")
    p = ctx.cli("train", f"data={data}", "imgsz=32", "epochs=1", "plots=False", f"project={data.parent}")
    label, note = judge_error(p, "7")
    if label == "clear" and "epoch 1/1" in p.out:
        return "unclear", "stopped only after the first epoch"
    return label, note


@case("train-unreadable-images", "train", "a zero-byte and a text file among the training images: counted once")
def _(ctx):
    data = _huge_dataset(ctx, "train-unreadable-images", 8)
    (data / "train" / "0" / "empty.png").write_bytes(b"")
    (data / "train" / "1" / "notes.jpg").write_text("not an image")
    p = ctx.cli("train", f"data={data}", "imgsz=32", "epochs=2", "plots=False", "batch=8", f"project={data.parent}")
    bad = judge_ok(p)
    if bad:
        return bad
    n = p.out.count("skipped 2 unreadable")
    return ("ok", "one warning for both files") if n == 1 else ("unclear", f"{n} warnings")


# ================================================================================================================
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]), help="yolocls checkout under test")
    ap.add_argument("--only", default="", help="comma list of case ids")
    ap.add_argument("--json", default="", help="write the outcomes here")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    cases = [c for c in CASES if not a.only or c.id in a.only.split(",")]
    work = Path(tempfile.mkdtemp(prefix="fault-corpus-"))
    ctx = Ctx(Path(a.root).resolve(), work)
    print(f"{len(cases)} cases against {ctx.root} (work {work}; tmpfs: {'yes' if ctx.can_mount else 'no, RLIMIT_FSIZE'})",
          flush=True)
    results = []
    t_all = time.perf_counter()
    try:
        for i, c in enumerate(cases, 1):
            t0 = time.perf_counter()
            try:
                label, note = c.fn(ctx)
            except SystemExit:
                raise
            except Exception as e:  # the corpus's own failure on a case is reported, never hidden
                label, note = "error", f"corpus: {type(e).__name__}: {e}"
            dt = time.perf_counter() - t0
            results.append({"id": c.id, "group": c.group, "what": c.what, "outcome": label, "note": note,
                            "seconds": round(dt, 1)})
            print(f"[{i:2}/{len(cases)}] {c.id:<26} {label:<9} {dt:5.1f}s  {note[:150]}", flush=True)
    finally:
        ctx.close()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    counts = Counter(r["outcome"] for r in results)
    good = sum(counts[g] for g in GOOD)
    print(f"\n{good}/{len(results)} handled ({', '.join(f'{k} {v}' for k, v in counts.most_common())}) "
          f"in {time.perf_counter() - t_all:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps({"root": str(ctx.root), "counts": counts, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
