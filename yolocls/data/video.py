"""Video files through OpenCV (the optional extra `video`: pip install 'yolocls[video]').

Frames come out as RGB HWC uint8, like every other image in yolocls (OpenCV decodes BGR; we convert once here).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MissingDependencyError, SourceError

VID_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".asf", ".ts")


def require_cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise MissingDependencyError("video", "opencv-python-headless", "video") from None
    return cv2


def _open(path: str | Path) -> Any:
    cv2 = require_cv2()
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SourceError(f"cannot open video '{path}' (OpenCV could not decode it; is it a video file?)")
    return cap


def frame_count(path: str | Path) -> int:
    """The video's number of frames, from the container header (0 if unknown)."""
    cv2 = require_cv2()
    cap = _open(path)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    cap.release()
    return max(0, n)


def iter_frames(path: str | Path, stride: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (frame index from 0, RGB HWC uint8 frame) for every `stride`-th frame; skipped frames are not decoded."""
    cv2 = require_cv2()
    cap = _open(path)
    try:
        i = 0
        while cap.grab():
            if i % stride == 0:
                ok, frame = cap.retrieve()
                if not ok:
                    break
                yield i, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            i += 1
    finally:
        cap.release()


class VideoWriter:
    """Write RGB frames to an .mp4 (mp4v) of the first frame's size; `close()` finalises the file."""

    def __init__(self, path: str | Path, fps: float = 30.0):
        self.path, self.fps, self._w = Path(path), fps, None
        # Written beside the target and renamed on close, so a crash never leaves a half file under the real name.
        self._tmp = self.path.with_name(f".{self.path.stem}.partial{self.path.suffix}")

    def write(self, frame: np.ndarray) -> None:
        cv2 = require_cv2()
        if self._w is None:
            h, w = frame.shape[:2]
            self._w = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
        self._w.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        if self._w is not None:
            self._w.release()
            self._w = None
            os.replace(self._tmp, self.path)


def video_fps(path: str | Path) -> float:
    cv2 = require_cv2()
    cap = _open(path)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    cap.release()
    return fps if fps > 0 else 30.0
