"""Run documented examples: each block in a fresh copy of one shared workspace, in its own process, offline
where a network namespace can be made, two at a time (the machine has two cores; most of a block's time is
interpreter and import start-up).

Outside pytest, to try the blocks of one page while writing it (trains the tiny model once into --workspace):

    PYTHONPATH=. .venv/bin/python -m tests.docs.runner docs/formats/onnx.md [--line 12] [--workspace /tmp/ws]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from .blocks import ROOT, Block

TIMEOUT_S = 600  # per block; an idle 2-core machine needs well under a minute for any of them
COMMANDS = {"python": [sys.executable, "example.py"], "bash": ["bash", "-e", "-o", "pipefail", "example.sh"]}
SUFFIX = {"python": ".py", "bash": ".sh"}
PARSERS = {"yaml": yaml.safe_load, "json": json.loads, "toml": tomllib.loads}


@dataclass
class Outcome:
    ok: bool
    output: str
    seconds: float


def make_workspace(ws: Path, ckpt: Path, digits_root: Path) -> Path:
    """What the pages say a reader has: `best.pt` (a tiny digits model, imgsz 32), `best.onnx` exported from
    it, `image.jpg` and `images/`, `ultralytics-best.pt` (a real Ultralytics 8.4.190 checkpoint from the shared
    fixtures) and `datasets/digits` (a link to a written digits dataset)."""
    from PIL import Image

    from yolocls import YOLO

    from ..conftest import FIXTURES

    ws.mkdir(parents=True)
    shutil.copy(ckpt, ws / "best.pt")
    YOLO(ws / "best.pt").export(format="onnx")
    val = sorted((digits_root / "val").rglob("*.png"))
    (ws / "images").mkdir()
    for i, p in enumerate(val[::72][:5]):
        Image.open(p).convert("RGB").resize((64, 64), Image.BILINEAR).save(ws / "images" / f"{i:04d}.jpg", quality=95)
    shutil.copy(ws / "images" / "0000.jpg", ws / "image.jpg")
    ul = FIXTURES / "ultralytics" / "yolov8n-cls-digits.pt"
    if ul.is_file():
        shutil.copy(ul, ws / "ultralytics-best.pt")
    (ws / "datasets").mkdir()  # the block's own folder (examples add datasets); digits itself is shared, read-only use
    os.symlink(digits_root.resolve(), ws / "datasets" / "digits")
    return ws


def offline_prefix() -> list[str]:
    """`unshare -n` where this machine lets us make a network namespace (examples must not need a network),
    with its loopback up: multi-process training rendezvous on 127.0.0.1, as it would on any machine."""
    exe, ip = shutil.which("unshare"), shutil.which("ip")
    if exe and ip and subprocess.run([exe, "-n", ip, "link", "set", "lo", "up"], capture_output=True).returncode == 0:
        return [exe, "-n", "sh", "-c", f'{ip} link set lo up && exec "$@"', "offline"]
    return []


def example_env(workspace: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("YOLOCLS_DATASETS", None)  # the examples use the default ./datasets (a link in the workspace)
    env.update({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONPATH": str(ROOT), "YOLOCLS_HOME": str(workspace.parent / "yolocls_home"),
                "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
                # Two blocks run at once on two cores: one math thread each, not two spinning per block.
                "OMP_NUM_THREADS": "1"})
    return env


def run_block(block: Block, workspace: Path, prefix: list[str]) -> Outcome:
    t0 = time.perf_counter()
    if block.lang in PARSERS:
        try:
            PARSERS[block.lang](block.code)
            return Outcome(True, "", time.perf_counter() - t0)
        except (yaml.YAMLError, ValueError) as e:  # TOMLDecodeError and JSONDecodeError are ValueErrors
            return Outcome(False, f"{block.lang} does not parse: {e}", time.perf_counter() - t0)
    with tempfile.TemporaryDirectory(prefix="docs-example-") as d:
        here = Path(d) / "work"
        shutil.copytree(workspace, here, symlinks=True, copy_function=os.link)  # hard links: instant, read-only use
        (here / f"example{SUFFIX[block.lang]}").write_text(block.code)
        try:
            env = example_env(workspace)
            env["YOLOCLS_CONFIG_DIR"] = str(here / ".yolocls-config")  # `yolocls settings` examples: their own
            p = subprocess.run(prefix + COMMANDS[block.lang], cwd=here, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S,
                               stdin=subprocess.DEVNULL)
            ok, out = p.returncode == 0, p.stdout + ("" if p.returncode == 0 else f"\n[exit code {p.returncode}]")
        except subprocess.TimeoutExpired as e:
            ok, out = False, f"{e.stdout or ''}\n[timed out after {TIMEOUT_S} s]"
    return Outcome(ok, out, time.perf_counter() - t0)


class Runner:
    """Runs the selected blocks in the background as soon as the session starts needing them."""

    def __init__(self, workspace: Path, blocks: list[Block], workers: int):
        self.prefix = offline_prefix()
        self.pool = ThreadPoolExecutor(max_workers=workers)
        # Longest first, so the two workers finish together (a rough cost: lines of code and exports).
        order = sorted(blocks, key=lambda b: -(b.code.count("\n") + 20 * b.code.count("export")))
        self.futures: dict[str, Future[Outcome]] = {
            b.id: self.pool.submit(run_block, b, workspace, self.prefix) for b in order}

    def outcome(self, block: Block) -> Outcome:
        return self.futures[block.id].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def main() -> int:
    import argparse

    from ..conftest import train_digits_model
    from .blocks import blocks

    ap = argparse.ArgumentParser(description="run the code blocks of one Markdown page as the docs tests do")
    ap.add_argument("page", type=Path)
    ap.add_argument("--line", type=int, help="only the block whose fence opens on this line")
    ap.add_argument("--workspace", type=Path, default=Path(tempfile.gettempdir()) / "yolocls-docs-workspace")
    a = ap.parse_args()
    ws = a.workspace / "workspace"
    if not ws.is_dir():
        from yolocls.data.folder import resolve_data

        os.environ["YOLOCLS_DATASETS"] = str(a.workspace / "datasets")
        root = resolve_data("digits")
        make_workspace(ws, train_digits_model(root, a.workspace / "model" / "best.pt"), root)
    failed = 0
    for b in blocks(a.page.resolve()):
        if (a.line and b.line != a.line) or b.not_run is not None or b.lang not in COMMANDS and b.lang not in PARSERS:
            continue
        out = run_block(b, ws, offline_prefix())
        failed += not out.ok
        print(f"{'ok  ' if out.ok else 'FAIL'} {b.id} ({b.lang}) {out.seconds:.1f} s")
        if not out.ok:
            print(out.output[-4000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
