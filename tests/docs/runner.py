"""Run documented examples: each block in a fresh copy of one shared workspace, in its own process, offline
where a network namespace can be made, two at a time (the machine has two cores; most of a block's time is
interpreter and import start-up)."""

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

TIMEOUT_S = 300
COMMANDS = {"python": [sys.executable, "example.py"], "bash": ["bash", "-e", "-o", "pipefail", "example.sh"]}
SUFFIX = {"python": ".py", "bash": ".sh"}
PARSERS = {"yaml": yaml.safe_load, "json": json.loads, "toml": tomllib.loads}


@dataclass
class Outcome:
    ok: bool
    output: str
    seconds: float


def offline_prefix() -> list[str]:
    """`unshare -n` where this machine lets us make a network namespace (examples must not need a network)."""
    exe = shutil.which("unshare")
    if exe and subprocess.run([exe, "-n", "true"], capture_output=True).returncode == 0:
        return [exe, "-n"]
    return []


def example_env(workspace: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("YOLOCLS_DATASETS", None)  # the examples use the default ./datasets (a link in the workspace)
    env.update({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONPATH": str(ROOT), "YOLOCLS_HOME": str(workspace.parent / "yolocls_home"),
                "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"})
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
            p = subprocess.run(prefix + COMMANDS[block.lang], cwd=here, env=example_env(workspace), text=True,
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
