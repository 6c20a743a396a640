"""The runtime contract: artifact -> `predict(NCHW float32 batch) -> (N, nc) probabilities`.

Never imports torch (except the pt/torchscript backends), so deployed artifacts run without PyTorch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from .. import _filetype
from ..errors import ArtifactError, ConfigError, MissingDependencyError, ShapeError
from ..metadata import BLOCKS_KEY, block_map


def check_device(device: str) -> None:
    """ConfigError when `device` asks for a CUDA device this machine does not have (torch-based runtimes)."""
    from ..cfg import device_problem

    problem = device_problem(device)
    if problem:
        raise ConfigError(problem)


class Runtime:
    """Base class of every format runtime.

    Subclasses set `name`, `suffixes` (file suffixes like `.onnx`, or folder suffixes like `_openvino_model`;
    `folder = True` when only a folder matches), `extra`, and implement `load()` (set `self.metadata`; import
    the backend with `self.require`) and `forward(x)`. `forward` receives exactly the batch the artifact
    accepts, always NCHW float32 in [0, 1]; a runtime whose graph takes NHWC transposes inside `forward`.
    `predict` validates shapes and splits a batch across a static-batch artifact. A runtime that needs more
    than its pip extra (a GPU, macOS, a device) overrides `unavailable_reason` and sets `runs_on`. `content`
    names what the artifact's file holds (a `yolocls._filetype` kind: "onnx", "tflite"...), so a load that fails
    can say whether the file is truncated or another kind of file (`load_error`).
    """

    name: ClassVar[str] = ""
    suffixes: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None
    folder: ClassVar[bool] = False
    runs_on: ClassVar[str] = "any"  # a label for help texts ("cuda", "macos", "edgetpu"); unavailable_reason decides
    content: ClassVar[str | None] = None
    # The modules `load()` imports, whatever the artifact: the bench imports them once per run for every
    # artifact of the backend (bench/zygote.py). Empty: nothing worth importing ahead.
    backend_modules: ClassVar[tuple[str, ...]] = ()
    # Rough seconds that import takes (one core of this project's machine): the bench imports the slowest first,
    # so that it overlaps the most work.
    import_cost_s: ClassVar[float] = 0.5
    # Set by `load()` (through `takes_free_batch`) when the loaded graph takes any batch although the export
    # recorded a static one: `predict` then sends a batch in one call instead of one call per recorded batch
    # (TensorFlow: 13 ms per batch-1 call, 42 ms for 32 images).
    free_batch: bool = False

    @classmethod
    def import_backend(cls) -> None:
        """Import `backend_modules` as `load()` would (an ImportError propagates; `load()` turns it into the usual
        MissingDependencyError)."""
        for module in cls.backend_modules:
            importlib.import_module(module)

    @classmethod
    def unavailable_reason(cls, device: str = "cpu") -> str | None:
        """Why this machine cannot run this format's artifacts on `device` (no CUDA GPU, not macOS, no Edge
        TPU...), or None when it can. The bench, the CLI and the parity tests ask this. What the format's pip
        extra installs is not a reason here (loading raises MissingDependencyError with the install command);
        platform-bound software such as TensorRT or libedgetpu is."""
        return None

    def __init__(self, path: str | Path, device: str = "cpu", **options: Any):
        self.path = Path(path)
        self.device = str(device)
        self.options = options
        self.metadata: dict[str, Any] = {}
        self.load()

    # --- to implement -------------------------------------------------------------------------------------
    def load(self) -> None:
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------------------
    def require(self, module: str, package: str | None = None) -> ModuleType:
        """`import module` (the backend), or the MissingDependencyError naming this format, the package to
        install (`package`, default the module's name) and this format's pip extra."""
        try:
            return importlib.import_module(module)
        except ImportError:
            raise MissingDependencyError(self.name, package or module, self.extra) from None

    @classmethod
    def load_error(cls, path: Path, error: BaseException,
                   formats_of_content: Callable[[str], tuple[str, tuple[str, ...]] | None] | None = None
                   ) -> ArtifactError:
        """What is wrong with an artifact this runtime failed to load, as one error naming the file and the
        format: empty, another kind of file (and, through `formats_of_content(kind)` -> (format, suffixes),
        which format that is and the rename that fixes it), or truncated/damaged."""
        cause = (str(error).strip().splitlines() or [type(error).__name__])[0].split(". ")[0][:200]
        if path.is_dir():
            return ArtifactError(path, cls.name, f"its files could not be read ({cause})")
        found, want = _filetype.kind(path), cls.content
        expected = _filetype.describe(want) if want else f"a {cls.name} artifact"
        if found == "empty":
            return ArtifactError(path, cls.name, "the file is empty (0 bytes)")
        if want and (found == want or (found == "zip" and want in ("torchscript", "checkpoint"))):
            return ArtifactError(path, cls.name, f"it starts like {expected} but cannot be read: the file is "
                                                 f"truncated or damaged ({cause})")
        if found is None:
            return ArtifactError(path, cls.name, f"the file is not {expected} (its bytes are no format yolocls "
                                                 f"knows; {cls.name} runtime: {cause})")
        other = formats_of_content(found) if formats_of_content else None
        fix = None
        if other:
            name, suffixes = other
            suffix = next((s for s in suffixes if s.startswith(".")), suffixes[0])
            fix = f"it is a {name} artifact: rename it to {path.stem}{suffix}"
        return ArtifactError(path, cls.name, f"the file is {_filetype.describe(found)}, not {expected}", fix=fix)

    @classmethod
    def matches(cls, path: Path) -> bool:
        """True when `path` looks like this runtime's artifact (by suffix; folders by name suffix)."""
        name = path.name.rstrip("/")
        return any(name.endswith(s) for s in cls.suffixes) and (not cls.folder or path.is_dir())

    @property
    def names(self) -> dict[int, str]:
        return self.metadata.get("names") or {}

    @property
    def imgsz(self) -> int:
        return int((self.metadata.get("imgsz") or [224])[0])

    @property
    def batch(self) -> int:
        return int(self.metadata.get("batch") or 1)

    @property
    def dynamic(self) -> bool:
        return bool(self.metadata.get("dynamic"))

    @property
    def precision(self) -> str:
        """The precision that actually ran (a runtime may override, e.g. OpenVINO's bf16)."""
        return str(self.metadata.get("precision", "fp32"))

    def version(self) -> str:
        """The runtime package's version (for reports)."""
        return ""

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[1] != 3:
            raise ShapeError(f"{self.name} runtime expects an NCHW float32 batch (N, 3, H, W); got shape {x.shape}")
        hw = tuple(self.metadata.get("imgsz") or (x.shape[2], x.shape[3]))
        if x.shape[0] and not self.dynamic and tuple(x.shape[2:]) != hw:
            raise ShapeError(f"artifact '{self.path}' accepts images of {hw[0]}x{hw[1]} only (static shape); got "
                             f"{x.shape[2]}x{x.shape[3]}. Predict with imgsz={hw[0]} or re-export with that imgsz")
        return x

    def takes_free_batch(self, declared: bool) -> bool:
        """Whether the graph, whose input declares a free batch dimension (`declared`), really runs a batch of
        2: a graph can declare one and still fix the batch inside (onnx2tf and x2paddle keep an attention
        block's reshape at the traced batch of 1: yolo11-cls, yolo26-cls). One call of zeros at load."""
        if not declared:
            return False
        hw = list(self.metadata.get("imgsz") or [self.imgsz])
        try:
            out = np.asarray(self.forward(np.zeros((2, 3, int(hw[0]), int(hw[-1])), np.float32)))
        except Exception:  # the graph refused the batch: one call per recorded batch, as before
            return False
        return out.ndim >= 1 and out.shape[0] == 2

    def _chunks(self, x: np.ndarray) -> list[np.ndarray]:
        """`x` as the batches the artifact accepts: itself when dynamic, batch-free or of the artifact's batch,
        else chunks of that batch, the last one padded with zeros (callers drop the padded rows)."""
        b = self.batch
        if self.dynamic or self.free_batch or x.shape[0] == b:
            return [np.ascontiguousarray(x)]
        pad = -x.shape[0] % b
        if pad:
            x = np.concatenate([x, np.zeros((pad, *x.shape[1:]), np.float32)])
        return [np.ascontiguousarray(x[i:i + b]) for i in range(0, len(x), b)]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """NCHW float32 batch in [0, 1] -> (N, nc) float32 probabilities."""
        x = self._check_input(x)
        if x.shape[0] == 0:
            return np.zeros((0, len(self.names)), np.float32)
        chunks = self._chunks(x)
        if len(chunks) == 1:
            return np.asarray(self.forward(chunks[0]), dtype=np.float32)[:len(x)]
        return np.concatenate([np.asarray(y, dtype=np.float32) for y in self.forward_chunks(chunks)])[:len(x)]

    def forward_chunks(self, chunks: list[np.ndarray]) -> list[np.ndarray]:
        """Run several artifact-sized batches; a runtime with parallel requests may override this."""
        return [self.forward(c) for c in chunks]

    # --- block outputs (yolocls diff) ------------------------------------------------------------------------
    @property
    def block_map(self) -> list[dict[str, Any]]:
        """The artifact's block map (recorded at export: see yolocls.exporters._blocks), network order."""
        return block_map(self.metadata)

    def blocks_reason(self) -> str | None:
        """Why this artifact cannot give the outputs of its blocks (None when it can)."""
        if type(self).forward_blocks is Runtime.forward_blocks:
            return f"the {self.name} runtime cannot read intermediate tensors out of its artifacts"
        if not any(e.get("tensor") is not None for e in self.block_map):
            note = (self.metadata.get(BLOCKS_KEY) or {}).get("note")
            return note or (f"'{self.path.name}' has no block map (exported without one, e.g. by an older yolocls); "
                            "re-export it to compare it block by block")
        return None

    def forward_blocks(self, x: np.ndarray, entries: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        """The tensors of the block-map `entries` for one artifact-sized batch, in the artifact's own layout and
        dtype (`block_outputs` converts them); a runtime that can read intermediate tensors implements it."""
        raise NotImplementedError

    def block_outputs(self, x: np.ndarray, names: list[str] | None = None) -> dict[str, np.ndarray]:
        """Outputs of the artifact's mapped blocks (`names`, default all) for an NCHW batch: point name ->
        float32 array in PyTorch's layout (NCHW), one row per image. The output block is not among them (it is
        `predict`'s result). Raises NotImplementedError with `blocks_reason()` when the artifact cannot."""
        why = self.blocks_reason()
        if why:
            raise NotImplementedError(why)
        entries = [e for e in self.block_map if e.get("tensor") is not None and (names is None or e["name"] in names)]
        x = self._check_input(x)
        parts = [self.forward_blocks(c, entries) for c in self._chunks(x)]
        out = {}
        for e in entries:
            a = np.concatenate([np.asarray(p[e["name"]], dtype=np.float32) for p in parts])[:len(x)]
            out[e["name"]] = a.transpose(0, 3, 1, 2) if e.get("layout") == "NHWC" else a
        return out

    def close(self) -> None:
        """Release what the runtime holds outside this process (a helper process); most hold nothing."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.predict(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self.path}', device='{self.device}', precision='{self.precision}')"
