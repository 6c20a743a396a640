"""Write Ultralytics-style checkpoints for tests, without Ultralytics: our own pickle stream naming the same globals.

Ultralytics cannot be installed here, so the variants the importer must handle (another scale, nc=1000, fp32
weights, an un-stripped last.pt, a detection model...) are written by this module: the same zip layout as
`torch.save` (`<root>/data.pkl` + `<root>/data/<key>`), the same GLOBAL names, NEWOBJ + BUILD for objects,
`_rebuild_tensor_v2` + persistent storage ids for tensors, protocol 2. They are not byte-identical to what
Ultralytics writes: they prove the importer handles those shapes of data, not that Ultralytics writes exactly them.
The real fixtures are the only files here that Ultralytics itself wrote; `edit_pickle`/`swap_global` make
byte-edited copies of them.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from yolocls.models.safe_unpickle import STORAGE_TYPES, Record

_STORAGE_NAMES = {dtype: name for name, dtype in STORAGE_TYPES.items() if name != "torch.UntypedStorage"}


@dataclass(eq=False)
class Global:
    """A `module.name` written as a GLOBAL opcode; never imported."""

    dotted: str


@dataclass(eq=False)
class Obj:
    """An object of class `cls` (dotted): NEWOBJ(cls, *args) or, with reduce=True, REDUCE; then BUILD(state)."""

    cls: str
    state: Any = None
    args: tuple = ()
    reduce: bool = False


@dataclass(eq=False)
class _Storage:
    key: str
    dtype: torch.dtype
    numel: int


class _Writer(pickle._Pickler):  # the pure-Python pickler: its dispatch table can take our types
    def __init__(self, file: io.BytesIO):
        super().__init__(file, protocol=2)
        self.file = file
        self.storages: list[tuple[str, bytes]] = []
        self._globals: dict[str, Global] = {}

    dispatch = pickle._Pickler.dispatch.copy()

    def glob(self, dotted: str) -> Global:
        return self._globals.setdefault(dotted, Global(dotted))

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _Storage):
            return ("storage", self.glob(_STORAGE_NAMES[obj.dtype]), obj.key, "cpu", obj.numel)
        return None

    def save_global_ref(self, obj: Global) -> None:
        module, _, name = obj.dotted.rpartition(".")
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)

    def save_obj(self, obj: Obj) -> None:
        self.save(self.glob(obj.cls))
        self.save(tuple(obj.args))
        self.write(pickle.REDUCE if obj.reduce else pickle.NEWOBJ)
        self.memoize(obj)
        if obj.state is not None:
            self.save(obj.state)
            self.write(pickle.BUILD)

    def save_tensor(self, t: torch.Tensor) -> None:
        c = t.detach().contiguous()
        key = str(len(self.storages))
        self.storages.append((key, c.reshape(-1).view(torch.uint8).numpy().tobytes()))
        self.save(self.glob("torch._utils._rebuild_tensor_v2"))
        self.save((_Storage(key, c.dtype, c.numel()), 0, tuple(c.shape), tuple(c.stride()), False,
                   collections.OrderedDict()))
        self.write(pickle.REDUCE)
        self.memoize(t)

    dispatch[Global] = save_global_ref
    dispatch[Obj] = save_obj
    dispatch[torch.Tensor] = save_tensor
    dispatch[torch.nn.Parameter] = save_tensor


def write_checkpoint(obj: Any, path: str | Path) -> Path:
    """Write `obj` (plain data, `Obj`, `Global`, tensors) as a torch-style zip checkpoint at `path`."""
    path = Path(path)
    w = _Writer(io.BytesIO())
    w.dump(obj)
    root = path.stem
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{root}/data.pkl", w.file.getvalue())
        z.writestr(f"{root}/byteorder", "little")
        for key, data in w.storages:
            z.writestr(f"{root}/data/{key}", data)
        z.writestr(f"{root}/version", "3\n")
    return path


def from_records(x: Any) -> Any:
    """The importer's inert records (read from a real file) back into writable `Obj`s, tensors and containers."""
    if isinstance(x, Record):
        return Obj(x.global_name, from_records(x.state), tuple(from_records(a) for a in x.args), reduce=bool(x.args))
    if isinstance(x, collections.OrderedDict):
        return collections.OrderedDict((k, from_records(v)) for k, v in x.items())
    if isinstance(x, dict):
        return {k: from_records(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(from_records(v) for v in x)
    if isinstance(x, torch.Tensor):
        return x.clone()
    return x


ULTRALYTICS_CLASSES = {"Conv": "ultralytics.nn.modules.conv.Conv", "Classify": "ultralytics.nn.modules.head.Classify",
                       **{b: f"ultralytics.nn.modules.block.{b}"
                          for b in ("C2f", "Bottleneck", "C3k2", "C3k", "C2PSA", "PSABlock", "Attention")},
                       "ClassificationModel": "ultralytics.nn.tasks.ClassificationModel"}


def module_obj(m: torch.nn.Module, half: bool = True) -> Obj:
    """A yolocls module tree written the way Ultralytics' pickled model looks (its classes, its attributes)."""
    kind = type(m).__name__
    cls = ULTRALYTICS_CLASSES.get(kind, f"{type(m).__module__}.{kind}")

    def cast(t: torch.Tensor) -> torch.Tensor:
        return t.half() if half and t.is_floating_point() else t

    state: dict[str, Any] = {
        "training": False,
        "_parameters": collections.OrderedDict((k, None if v is None else cast(v.detach()))
                                               for k, v in m._parameters.items()),
        "_buffers": collections.OrderedDict((k, cast(v)) for k, v in m._buffers.items()),
        "_non_persistent_buffers_set": set(),
        "_modules": collections.OrderedDict((k, module_obj(c, half)) for k, c in m._modules.items()),
    }
    for attr in ("eps", "momentum", "p", "inplace", "in_channels", "out_channels", "kernel_size", "stride", "padding",
                 "dilation", "groups", "padding_mode", "in_features", "out_features", "i", "f", "type", "np", "c", "add",
                 "num_heads", "key_dim", "head_dim", "scale"):
        if attr in m.__dict__:
            state[attr] = m.__dict__[attr]
    return Obj(cls, state)


def edit_pickle(src: Path, dst: Path, edit) -> Path:
    """Copy the checkpoint `src` to `dst` with its data.pkl replaced by `edit(data.pkl bytes)`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item, edit(data) if item.filename.endswith("/data.pkl") else data)
    return dst


def swap_global(old: str, new: str):
    """An edit that makes the pickle name `new` wherever it named `old` (GLOBAL opcodes, protocol 2)."""
    def edit(data: bytes) -> bytes:
        o, n = (f"c{g.rpartition('.')[0]}\n{g.rpartition('.')[2]}\n".encode() for g in (old, new))
        assert o in data, f"{old} is not named by the pickle"
        return data.replace(o, n)
    return edit
