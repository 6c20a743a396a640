"""`Results` (one per image) and `Probs` (its class probabilities), the objects `YOLO.predict` returns.

Images are RGB everywhere: `orig_img` and `plot()` are HWC uint8 RGB NumPy arrays (Ultralytics returns BGR).
Probabilities are NumPy, and answer the tensor calls Ultralytics code makes on them: `probs.data.cpu().numpy()`,
`probs.top1conf.item()`, `results.cpu()`, `results.numpy()`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
from PIL import Image

from .._io import write_text, write_with
from .annotate import draw_text_block


class HostArray(np.ndarray):
    """A NumPy array that also answers `.cpu()` and `.numpy()` (returning itself), so Ultralytics code written for
    tensors (`r.probs.data.cpu().numpy()`) runs unchanged. Everything else is plain NumPy."""

    def cpu(self) -> HostArray:
        return self

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)


class HostFloat(float):
    """A float that also answers `.item()`, `.cpu()` and `.numpy()` (as Ultralytics' 0-d tensors do)."""

    def item(self) -> float:
        return float(self)

    def cpu(self) -> HostFloat:
        return self

    def numpy(self) -> np.float32:
        return np.float32(self)


class Probs:
    """Class probabilities of one image: `data` (nc,) float32, `top1`, `top5`, `top1conf`, `top5conf`."""

    __slots__ = ("data", "_top5")

    def __init__(self, data: np.ndarray):
        self.data = np.asarray(data, dtype=np.float32).view(HostArray)
        self._top5: list[int] | None = None

    @property
    def top1(self) -> int:
        """Index of the most likely class."""
        return int(self.data.argmax())

    @property
    def top5(self) -> list[int]:
        """Indices of the five most likely classes, most likely first (fewer when nc < 5)."""
        if self._top5 is None:
            self._top5 = [int(i) for i in np.argsort(-self.data, kind="stable")[:5]]
        return self._top5

    @property
    def top1conf(self) -> float:
        return HostFloat(self.data[self.top1])

    @property
    def top5conf(self) -> np.ndarray:
        return self.data[self.top5]

    def cpu(self) -> Probs:
        """Itself (the data is in host memory already)."""
        return self

    def numpy(self) -> Probs:
        """Itself (the data is NumPy already)."""
        return self

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Probs(top1={self.top1}, top1conf={self.top1conf:.4f}, top5={self.top5}, nc={len(self.data)})"


ImageLike: TypeAlias = np.ndarray | Image.Image


class Results:
    """The prediction for one image.

    Args:
        orig_img: the input image (HWC uint8 RGB array or PIL image), or a zero-argument callable returning it (the
            predictor passes one for files, so results do not hold every decoded image in memory).
        path: the image's file path or URL (video frames: the video's path, and `frame` the frame number).
        names: {class index: name}.
        probs: (nc,) probabilities; None when the image could not be read (then `error` says why).
        speed: milliseconds per image of `preprocess`, `inference`, `postprocess`.
        orig_shape: (height, width) of the original image, when known without decoding it.
        name: file name for saved outputs (default: the file name of `path`).
        save_dir: the run folder predict saved outputs to (None when it saved nothing).
    """

    def __init__(self, orig_img: ImageLike | Callable[[], ImageLike] | None, path: str, names: dict[int, str],
                 probs: np.ndarray | Probs | None = None, speed: dict[str, float] | None = None,
                 orig_shape: tuple[int, int] | None = None, error: str | None = None, frame: int | None = None,
                 name: str | None = None, save_dir: str | Path | None = None):
        self._orig = orig_img
        self.path = str(path)
        self.names = names
        self.probs = probs if probs is None or isinstance(probs, Probs) else Probs(probs)
        self.speed = speed if speed is not None else {"preprocess": None, "inference": None, "postprocess": None}
        self._orig_shape = orig_shape
        self.error = error
        self.frame = frame
        self.name = name or (Path(self.path).name or "image.jpg")
        self.save_dir = str(save_dir) if save_dir is not None else None

    # --- device and array type (Ultralytics' tensor calls) ------------------------------------------------
    def cpu(self) -> Results:
        """A copy whose arrays are in host memory: they are already, so this is a shallow copy."""
        return copy.copy(self)

    def numpy(self) -> Results:
        """A copy whose arrays are NumPy: they are already, so this is a shallow copy."""
        return copy.copy(self)

    # --- the image ----------------------------------------------------------------------------------------
    @property
    def orig_img(self) -> np.ndarray | None:
        """The original image, HWC uint8 RGB (read on first access when the predictor kept only the path)."""
        if callable(self._orig):
            self._orig = self._orig()
        if isinstance(self._orig, Image.Image):
            self._orig = np.asarray(self._orig.convert("RGB") if self._orig.mode != "RGB" else self._orig)
        return self._orig

    @property
    def orig_shape(self) -> tuple[int, int] | None:
        """(height, width) of the original image."""
        if self._orig_shape is None and self.orig_img is not None:
            self._orig_shape = tuple(self.orig_img.shape[:2])
        return self._orig_shape

    @property
    def ok(self) -> bool:
        """False when the image could not be read (see `error`)."""
        return self.probs is not None

    # --- text -----------------------------------------------------------------------------------------------
    def _top(self) -> list[tuple[int, str, float]]:
        if self.probs is None:
            return []
        d = self.probs.data
        return [(j, self.names.get(j, str(j)), float(d[j])) for j in self.probs.top5]

    def verbose(self) -> str:
        """The one-line log string: `7 0.98, 1 0.01, 3 0.00, 2 0.00, 5 0.00` (or `error: ...`)."""
        if self.probs is None:
            return f"error: {self.error}"
        return ", ".join(f"{n} {c:.2f}" for _, n, c in self._top())

    def summary(self, decimals: int = 5) -> list[dict[str, Any]]:
        """The top-5 as `[{'name', 'class', 'confidence'}, ...]`, most likely first ([] for an unreadable image)."""
        return [{"name": n, "class": j, "confidence": round(c, decimals)} for j, n, c in self._top()]

    def to_json(self, decimals: int = 5, **kwargs: Any) -> str:
        """`summary()` as JSON (extra keyword arguments go to json.dumps, e.g. indent=2)."""
        return json.dumps(self.summary(decimals), **kwargs)

    def to_csv(self, decimals: int = 5) -> str:
        """`summary()` as CSV text: a `name,class,confidence` header and one row per class of the top-5."""
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["name", "class", "confidence"], lineterminator="\n")
        w.writeheader()
        w.writerows(self.summary(decimals))
        return buf.getvalue()

    def to_df(self, decimals: int = 5) -> Any:
        """`summary()` as a DataFrame (columns name, class, confidence): pandas when installed, else Polars
        (what Ultralytics returns)."""
        rows = self.summary(decimals)
        try:
            import pandas as pd
        except ImportError:
            try:
                import polars as pl
            except ImportError:
                raise ImportError("Results.to_df() needs pandas (pip install pandas) or polars") from None
            return pl.DataFrame(rows, schema=["name", "class", "confidence"])
        return pd.DataFrame(rows, columns=["name", "class", "confidence"])

    def __repr__(self) -> str:
        p = self.probs
        what = f"top1={self.names.get(p.top1, p.top1)!r} {p.top1conf:.3f}" if p is not None \
            else f"error={self.error!r}"
        return f"Results(path={self.path!r}{f', frame={self.frame}' if self.frame else ''}, {what})"

    # --- pictures and files ---------------------------------------------------------------------------------
    def plot(self, pil: bool = False, font_size: int | None = None) -> np.ndarray | Image.Image:
        """The original image with the top-5 labels and confidences drawn (HWC uint8 RGB array, or PIL image)."""
        img = self._annotated(font_size)
        return img if pil else np.asarray(img)

    def _annotated(self, font_size: int | None = None) -> Image.Image:
        if self.orig_img is None:
            raise ValueError(f"result for '{self.path}' has no image to plot ({self.error or 'none kept'})")
        lines = [f"{n} {c:.2f}" for _, n, c in self._top()] or [f"unreadable: {self.error}"]
        return draw_text_block(Image.fromarray(self.orig_img), lines, font_size)

    def show(self) -> None:
        """Open the annotated image in the system's image viewer."""
        self._annotated().show(title=self.name)

    def save(self, filename: str | Path | None = None) -> str:
        """Write the annotated image (original size; format from the suffix) atomically; returns its path."""
        filename = Path(filename or f"results_{Path(self.name).name}")
        img = self._annotated()
        fmt = Image.registered_extensions().get(filename.suffix.lower())
        if fmt is None:
            raise ValueError(f"cannot save '{filename}': unknown image suffix (use .jpg or .png)")
        write_with(filename, lambda p: img.save(p, format=fmt, **({"quality": 95} if fmt == "JPEG" else {})))
        return str(filename)

    def save_txt(self, txt_file: str | Path) -> str:
        """Write the top-5, one `confidence name` line each, most likely first; returns the file's path."""
        text = "".join(f"{c:.2f} {n}\n" for _, n, c in self._top())
        write_text(txt_file, text)
        return str(txt_file)

