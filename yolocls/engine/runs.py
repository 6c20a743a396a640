"""Run folders: runs/classify/{train,val,predict}N/ unless project/name say otherwise (`runs` is the `runs_dir`
setting)."""

from __future__ import annotations

from pathlib import Path


def increment_path(path: str | Path, exist_ok: bool = False) -> Path:
    """`runs/classify/train` -> itself if free (or exist_ok), else train2, train3, ..."""
    path = Path(path)
    if exist_ok or not path.exists():
        return path
    n = 2
    while (p := path.with_name(f"{path.name}{n}")).exists():
        n += 1
    return p


def default_project() -> Path:
    """`<runs_dir>/classify`: where runs go when `project=` is not given."""
    from ..settings import runs_dir

    return runs_dir() / "classify"


def run_dir(mode: str, project: str | Path | None = None, name: str | None = None, exist_ok: bool = False,
            mkdir: bool = True) -> Path:
    """The run folder, created (unless mkdir=False). Without exist_ok the folder is claimed by creating it, so two
    runs started at once with the same name get train and train2, never one folder between them."""
    base = Path(project or default_project()) / (name or mode)
    if not mkdir or exist_ok:
        d = increment_path(base, exist_ok=exist_ok)
        if mkdir:
            d.mkdir(parents=True, exist_ok=True)
        return d
    base.parent.mkdir(parents=True, exist_ok=True)
    while True:
        d = increment_path(base)
        try:
            d.mkdir()
            return d
        except FileExistsError:  # another run claimed it between the check and the mkdir: take the next
            continue
