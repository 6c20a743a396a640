"""Prediction sources: whatever a user hands to `predict` -> a lazy stream of `SourceItem`s.

| source | example | notes |
| --- | --- | --- |
| image file | `'img.jpg'` | any format Pillow reads; EXIF orientation applied |
| folder | `'images/'` | its images and videos, sorted by name, not recursive (use a glob with `**` for that) |
| glob | `'images/**/*.jpg'` | recursive with `**` |
| list | `['a.jpg', 'b.png', pil, array]` | any mix of the kinds here |
| text file | `'list.txt'` | one path or URL per line; relative paths are relative to the file; `#` comments |
| URL | `'https://host/img.jpg'` | http(s), downloaded into memory |
| PIL image | `Image.open('img.jpg')` | any mode -> RGB |
| NumPy array | `np.asarray(img)` | HxWx3 uint8 in **RGB** order (also HxW, HxWx1, HxWx4 RGBA, or NxHxWx3). OpenCV/cv2 frames are BGR: pass `frame[..., ::-1]` |
| torch tensor | `torch.rand(8, 3, 224, 224)` | BCHW or CHW float in [0, 1], RGB; used as is when it is already imgsz x imgsz |
| video | `'clip.mp4'` | every `vid_stride`-th frame, through OpenCV: pip install 'yolocls[video]' |

Nothing here decodes an image: items are paths, bytes-to-fetch or in-memory pixels, and the predictor decodes
them in its worker threads, so a folder of 100,000 images costs 100,000 short strings, never 100,000 images.
"""

from __future__ import annotations

import glob as globlib
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np

from ..errors import SourceError
from .folder import IMG_SUFFIXES
from .images import check_array
from .video import VID_SUFFIXES, frame_count, iter_frames

ACCEPTED = ("an image file, folder, glob, list of paths, .txt file listing paths, http(s) URL, PIL image, "
            "NumPy HWC uint8 RGB array, torch BCHW float tensor in [0, 1], or video file")


@dataclass(slots=True)
class SourceItem:
    """One image to predict.

    `kind`: `file` (read `path`), `url` (download `path`), `pil` / `array` (HWC uint8 RGB) / `chw` (float32 CHW
    in [0, 1]) / `frame` (video frame, HWC uint8 RGB): pixels in `data`.
    """

    kind: str
    path: str  # file path or URL; for in-memory images a label such as image0.jpg; for frames the video's path
    name: str  # file name for saved outputs (relative to the folder or glob root)
    data: Any = None
    frame: int | None = None  # video: this frame's number in the video, from 1
    frames: int | None = None  # video: the video's number of frames


@dataclass
class Source:
    """A resolved source: what it was (`kind`), its items (lazy), how many, and whether it is one image (a read
    error then raises, where in a folder or list it is reported in that image's result and the rest go on)."""

    kind: str
    items: Iterable[SourceItem]
    count: int
    single: bool = False

    def __iter__(self) -> Iterator[SourceItem]:
        return iter(self.items)


def is_url(s: str) -> bool:
    return s.lower().startswith(("http://", "https://"))


def is_tensor(x: Any) -> bool:
    """A torch tensor, recognised without importing torch."""
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "detach")


def _is_image_or_video(name: str) -> bool:
    return name.lower().endswith(IMG_SUFFIXES + VID_SUFFIXES)


def load_source(source: Any, vid_stride: int = 1) -> Source:
    """Resolve `source` (see the module docstring) into a `Source`. Raises SourceError for a missing path, an empty
    folder or glob, or an input of a kind we do not take."""
    if int(vid_stride) < 1:
        raise SourceError(f"vid_stride={vid_stride} must be >= 1")
    if source is None or (isinstance(source, str) and not source.strip()):
        raise SourceError(f"no source given: pass source= {ACCEPTED}")
    if isinstance(source, (str, Path)):
        return _from_str(str(source), int(vid_stride))
    if isinstance(source, (list, tuple)):
        return _from_list(list(source), int(vid_stride))
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if is_tensor(source):
        return _from_tensor(source)
    from PIL import Image

    if isinstance(source, Image.Image):
        return Source("pil", [SourceItem("pil", "image0.jpg", "image0.jpg", source)], 1, single=True)
    raise SourceError(f"cannot predict on a {type(source).__name__}: pass {ACCEPTED}")


def _from_str(s: str, stride: int, name: str | None = None) -> Source:
    if is_url(s):
        base = unquote(Path(urlparse(s).path).name) or "image.jpg"
        return Source("url", [SourceItem("url", s, name or base)], 1, single=True)
    if any(c in s for c in "*?["):
        return _from_glob(s, stride)
    p = Path(s).expanduser()
    if not p.exists():
        raise SourceError(f"source '{s}' does not exist (expected {ACCEPTED})")
    if p.is_dir():
        return _from_folder(p, stride)
    suffix = p.suffix.lower()
    if suffix == ".txt":
        return _from_txt(p, stride)
    if suffix in VID_SUFFIXES:
        return _from_video(p, stride, name or p.name)
    return Source("file", [SourceItem("file", str(p), name or p.name)], 1, single=True)


def _from_paths(kind: str, paths: list[str], root: Path | None, stride: int) -> Source:
    """Image and video files (already known to exist) -> one Source; names relative to `root`."""
    def name(f: str) -> str:
        return os.path.relpath(f, root) if root is not None else os.path.basename(f)

    videos = [f for f in paths if f.lower().endswith(VID_SUFFIXES)]
    if not videos:  # the common case: a lazy generator over short strings
        items = (SourceItem("file", f, name(f)) for f in paths)
        return Source(kind, items, len(paths))
    parts = [_from_video(Path(f), stride, name(f)) if f in videos else
             Source("file", [SourceItem("file", f, name(f))], 1) for f in paths]
    return Source(kind, itertools.chain.from_iterable(parts), sum(p.count for p in parts))


def _from_folder(p: Path, stride: int) -> Source:
    with os.scandir(p) as it:
        entries = [(e.name, e.is_dir()) for e in it]
    files = sorted(os.path.join(p, n) for n, d in entries if not d and _is_image_or_video(n))
    if not files:
        subdirs = sorted(n for n, d in entries if d)
        hint = (f"; it has subfolders ({', '.join(subdirs[:3])}{', ...' if len(subdirs) > 3 else ''}): use "
                f"source='{p}/**/*' to include them") if subdirs else ""
        raise SourceError(f"folder '{p}' has no images or videos ({', '.join(IMG_SUFFIXES)}, "
                          f"{', '.join(VID_SUFFIXES)}){hint}")
    return _from_paths("folder", files, p, stride)


def _from_glob(pattern: str, stride: int) -> Source:
    pattern = os.path.expanduser(pattern)
    files = sorted(f for f in globlib.glob(pattern, recursive=True) if _is_image_or_video(f) and os.path.isfile(f))
    if not files:
        raise SourceError(f"glob '{pattern}' matched no images or videos")
    parts = Path(pattern).parts
    fixed = list(itertools.takewhile(lambda part: not any(c in part for c in "*?["), parts))
    return _from_paths("glob", files, Path(*fixed) if fixed else Path("."), stride)


def _from_txt(p: Path, stride: int) -> Source:
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"cannot read the list of sources '{p}': {e}") from None
    parts = []
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if not is_url(s) and not os.path.isabs(os.path.expanduser(s)):
            s = str(p.parent / s)
        try:
            parts.append(_from_str(s, stride))
        except SourceError as e:
            raise SourceError(f"{p}, line {i}: {e}") from None
    if not parts:
        raise SourceError(f"the list of sources '{p}' is empty (expected one path or URL per line)")
    return _merge("txt", parts)


def _from_list(xs: list[Any], stride: int) -> Source:
    if not xs:
        raise SourceError(f"source is an empty list: pass {ACCEPTED}")
    parts = []
    for i, x in enumerate(xs):
        if isinstance(x, (str, Path)):
            parts.append(_from_str(str(x), stride))
        elif isinstance(x, np.ndarray):
            parts.append(_from_array(x, f"image{i}.jpg", what=f"source[{i}]"))
        elif is_tensor(x):
            parts.append(_from_tensor(x, first=i))
        else:
            s = load_source(x, stride)
            for item in s.items:  # in-memory PIL images: number them by their place in the list
                item.path = item.name = f"image{i}.jpg"
            parts.append(s)
    return _merge("list", parts)


def _merge(kind: str, parts: list[Source]) -> Source:
    return Source(kind, itertools.chain.from_iterable(parts), sum(p.count for p in parts))


def _from_array(a: np.ndarray, label: str = "image0.jpg", what: str = "NumPy source") -> Source:
    if a.ndim == 4:  # NHWC batch
        for i in range(len(a)):
            check_array(a[i], f"{what}[{i}]")
        items = [SourceItem("array", f"image{i}.jpg", f"image{i}.jpg", a[i]) for i in range(len(a))]
        if not items:
            raise SourceError(f"{what} is an empty batch of shape {a.shape}")
        return Source("numpy", items, len(items))
    return Source("numpy", [SourceItem("array", label, label, check_array(a, what))], 1, single=True)


def _from_tensor(t: Any, first: int = 0) -> Source:
    """BCHW (or CHW) float tensor in [0, 1] -> float32 CHW items (torch is already imported by whoever made it)."""
    a = t.detach().cpu().float().numpy()
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[1] not in (1, 3) or 0 in a.shape:
        raise SourceError(f"torch tensor source has shape {tuple(t.shape)}; expected BCHW (or CHW) with C = 3 (RGB) "
                          f"or 1, float in [0, 1]")
    lo, hi = float(a.min()), float(a.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise SourceError(f"torch tensor source has values in [{lo:.3g}, {hi:.3g}]; expected float in [0, 1] "
                          f"(divide a 0..255 tensor by 255)")
    if a.shape[1] == 1:
        a = np.repeat(a, 3, axis=1)
    items = [SourceItem("chw", f"image{first + i}.jpg", f"image{first + i}.jpg", a[i]) for i in range(len(a))]
    return Source("tensor", items, len(items), single=len(items) == 1)


def _from_video(p: Path, stride: int, name: str) -> Source:
    n = frame_count(p)  # opens the file now: a missing OpenCV or an unreadable video fails here

    def frames() -> Iterator[SourceItem]:
        for i, frame in iter_frames(p, stride):
            yield SourceItem("frame", str(p), name, frame, frame=i + 1, frames=n)

    return Source("video", frames(), -(-n // stride))


def fetch_url(url: str, timeout: float | None = None, deadline: float | None = None,
              max_bytes: int | None = None) -> bytes:
    """Download `url` into memory; SourceError naming the URL when it cannot be reached, answers an error, takes
    longer than `deadline` seconds in all (a server dripping bytes must not hang predict), or delivers more than
    `max_bytes`. `timeout` bounds each read. Defaults: yolocls.limits (YOLOCLS_URL_TIMEOUT, YOLOCLS_URL_DEADLINE,
    YOLOCLS_URL_MAX_MB)."""
    import time
    import urllib.error
    import urllib.request

    from .. import limits

    timeout = limits.url_timeout() if timeout is None else timeout
    deadline = limits.url_deadline() if deadline is None else deadline
    cap = limits.url_max_bytes() if max_bytes is None else max_bytes
    over = (f"more than the {cap / 2**20:g} MB an image URL may deliver (set {limits.URL_MAX_MB[0]} to allow "
            f"more)")
    req = urllib.request.Request(url, headers={"User-Agent": "yolocls"})
    end = time.monotonic() + deadline
    try:
        with urllib.request.urlopen(req, timeout=min(timeout, deadline)) as r:
            length = r.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > cap:
                raise SourceError(f"cannot download '{url}': it is {int(length) / 2**20:.0f} MB, {over}")
            chunks, n = [], 0
            while chunk := r.read1(1 << 16):  # what one receive brings: a slow server cannot stretch one read
                n += len(chunk)
                if n > cap:
                    raise SourceError(f"cannot download '{url}': it sent {over}")
                chunks.append(chunk)
                if time.monotonic() > end:
                    raise SourceError(f"cannot download '{url}': it took longer than {deadline:g} s in all ({n} "
                                      f"bytes received; set {limits.URL_DEADLINE[0]} to wait longer)")
            return b"".join(chunks)
    except urllib.error.HTTPError as e:
        raise SourceError(f"cannot download '{url}': HTTP {e.code} {e.reason}") from None
    except TimeoutError:
        raise SourceError(f"cannot download '{url}': no data for {min(timeout, deadline):g} s (set "
                          f"{limits.URL_TIMEOUT[0]} to wait longer)") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError):
            raise SourceError(f"cannot download '{url}': no answer within {min(timeout, deadline):g} s") from None
        raise SourceError(f"cannot download '{url}': {reason} (is the URL right and the host reachable?)") from None
