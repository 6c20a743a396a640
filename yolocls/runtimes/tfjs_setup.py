"""Install the Node.js side of the tfjs runtime: `python -m yolocls.runtimes.tfjs_setup [--dir DIR] [--force]`.

Installs pinned pure-JavaScript packages (@tensorflow/tfjs + the WebAssembly backend) with npm into a folder
yolocls owns ($YOLOCLS_NODE_DIR, default ~/.cache/yolocls/node). `--ignore-scripts` means nothing is
downloaded at install time except the npm packages themselves (tfjs-node, by contrast, fetches libtensorflow
from Google storage in its install script). A lockfile shipped beside this module pins the whole package tree (`npm ci`). Idempotent: a folder that
already has the pinned versions is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import MissingDependencyError

PACKAGES = {"@tensorflow/tfjs": "4.22.0", "@tensorflow/tfjs-backend-wasm": "4.22.0"}
SETUP_COMMAND = "python -m yolocls.runtimes.tfjs_setup"
LOCKFILE = Path(__file__).with_name("tfjs_package-lock.json")


def node_dir() -> Path:
    """Where the npm packages live: $YOLOCLS_NODE_DIR, else ~/.cache/yolocls/node."""
    return Path(os.environ.get("YOLOCLS_NODE_DIR") or Path.home() / ".cache" / "yolocls" / "node").expanduser()


def installed_version(folder: Path, package: str) -> str | None:
    """The version of `package` installed under `folder/node_modules`, or None."""
    pj = folder / "node_modules" / package / "package.json"
    try:
        return str(json.loads(pj.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def missing_packages(folder: Path | None = None) -> list[str]:
    """`name@version` of every pinned package that is absent or at another version."""
    folder = folder or node_dir()
    return [f"{p}@{v}" for p, v in PACKAGES.items() if installed_version(folder, p) != v]


def setup(folder: Path | None = None, force: bool = False) -> Path:
    """Install the pinned packages into `folder` (default `node_dir()`); return the folder."""
    folder = Path(folder or node_dir())
    if not force and not missing_packages(folder):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise MissingDependencyError("tfjs", "npm (Node.js)", hint="install Node.js 18+ with npm (e.g. `apt-get "
                                     f"install nodejs npm`), then run `{SETUP_COMMAND}`")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "yolocls-tfjs-runtime", "private": True, "description": "npm packages of yolocls' tfjs runtime",
                "dependencies": PACKAGES}
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    # The shipped lockfile pins every transitive package too; `npm ci` installs exactly that tree.
    shutil.copyfile(LOCKFILE, folder / "package-lock.json")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=dev", "--loglevel=error"]
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` in {folder} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    still = missing_packages(folder)
    if still:
        raise RuntimeError(f"npm install in {folder} finished but {', '.join(still)} are still missing")
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=SETUP_COMMAND, description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help=f"install folder (default {node_dir()})")
    ap.add_argument("--force", action="store_true", help="reinstall even when the pinned versions are present")
    args = ap.parse_args(argv)
    try:
        folder = setup(args.dir, force=args.force)
    except (MissingDependencyError, RuntimeError) as e:
        print(f"tfjs setup failed: {e}", file=sys.stderr)
        return 1
    print(f"tfjs runtime packages ready in {folder}: {', '.join(f'{p}@{v}' for p, v in PACKAGES.items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
