"""The environment manifest of a bench report: machine, OS, Python, packages, yolocls version and commit.

Nothing here imports a backend: package versions come from the installed distributions' metadata.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .._cpu import usable_cores


def cpu_model() -> str:
    """The CPU's marketing name (Linux: /proc/cpuinfo; elsewhere what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                                  timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """The CPU features that change which kernels (and precisions) runtimes pick."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), [])
    wanted = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8", "avx_vnni", "fma")
    return [f for f in wanted if f in flags]


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none): above the core count, timings are inflated."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def memory_gb() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        return None


def git_commit(path: Path | None = None) -> str | None:
    """The commit of the yolocls checkout (with '+dirty' for local changes), or None outside a git checkout."""
    root = path or Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("+dirty" if dirty else "")) or None


def dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Module -> distributions, read once: it scans every installed package's file list (~2 s here)."""
    return dict(metadata.packages_distributions())


def module_versions(modules: list[str]) -> dict[str, str]:
    """Installed version of the distribution behind each importable module name (e.g. 'onnxruntime')."""
    dists = _distributions()
    out = {}
    for mod in sorted(set(modules)):
        for dist in dists.get(mod.split(".")[0], [mod]):
            v = dist_version(dist)
            if v:
                out[dist] = v
    return out


def manifest(modules: list[str] | None = None) -> dict[str, Any]:
    """Everything a reader needs to reproduce or compare a report. `modules`: the packages the formats in the
    run need (from the exporter specs), whose versions are recorded."""
    from .._version import __version__

    return {
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "memory_gb": memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": dist_version("torch"),
        "numpy": dist_version("numpy"),
        "yolocls": __version__,
        "git_commit": git_commit(),
        "packages": module_versions(modules or []),
    }
