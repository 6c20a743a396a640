"""Read a PyTorch zip checkpoint whose pickle names classes, without running any of it.

`torch.load(weights_only=True)` refuses such files, and an unrestricted torch.load imports and calls
whatever the pickle names. Here every global the pickle names is looked up in an explicit allow-list: tensor
rebuild functions and storage types map to our own tensor-building code, plain containers to themselves, and
every class (a layer, a model, a transform) to an inert `Record` that only keeps the arguments and state the
pickle hands it. Any other global is refused by name. No module is imported because the file names it.

A torch zip checkpoint is `<root>/data.pkl` (the pickle) plus `<root>/data/<key>` (one raw storage per key,
little-endian), referenced from the pickle by persistent ids `('storage', StorageType, key, location, numel)`.
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools
import struct
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch


class RefusedGlobalError(pickle.UnpicklingError):
    """The pickle names a global outside the allow-list; `name` is `module.qualname`."""

    def __init__(self, name: str):
        super().__init__(f"global '{name}' is not on the allow-list")
        self.name = name


class Record:
    """An inert stand-in for an object of an allow-listed class: its constructor args and pickled state.

    The unpickler creates it (NEWOBJ/REDUCE pass `args`) and hands it its state (BUILD calls `__setstate__`);
    nothing else ever runs. `global_name` says which class the file named.
    """

    global_name = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> Record:
        obj = super().__new__(cls)
        obj.args, obj.state = args, None
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # REDUCE calls the class; args are kept by __new__
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):  # (dict, slotstate)
            state = {**(state[0] or {}), **state[1]}
        if isinstance(self.state, dict) and isinstance(state, dict):
            self.state.update(state)
        else:
            self.state = state

    @property
    def name(self) -> str:
        """The class name without its module (`Conv`, `BatchNorm2d`)."""
        return self.global_name.rsplit(".", 1)[-1]

    def get(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default) if isinstance(self.state, dict) else default

    def __repr__(self) -> str:
        return f"<record of {self.global_name}>"


class _Frozen:
    """Base of what `find_class` hands the pickle besides records: BUILD cannot change it (no `__setstate__`,
    no `__dict__`, no attribute assignment), so one file cannot alter how the next one is read."""

    __slots__ = ()

    def __setattr__(self, key: str, value: Any) -> None:
        raise pickle.UnpicklingError(f"the pickle tried to set '{key}' on {self!r}")


class _Callable(_Frozen):
    """An allow-listed function or container type, callable by REDUCE and nothing else."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[..., Any]):
        object.__setattr__(self, "fn", fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<allowed {getattr(self.fn, '__name__', self.fn)}>"


class _StorageType(_Frozen):
    """What an allow-listed storage class (`torch.HalfStorage`...) stands for: the dtype of its elements."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: torch.dtype):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", dtype)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # a pickle may only use it as a persistent-id tag
        raise pickle.UnpicklingError(f"'{self.name}' may only appear in a storage reference")

    def __repr__(self) -> str:
        return f"<storage type {self.name}>"


STORAGE_TYPES: dict[str, torch.dtype] = {
    "torch.FloatStorage": torch.float32, "torch.DoubleStorage": torch.float64, "torch.HalfStorage": torch.float16,
    "torch.BFloat16Storage": torch.bfloat16, "torch.LongStorage": torch.int64, "torch.IntStorage": torch.int32,
    "torch.ShortStorage": torch.int16, "torch.CharStorage": torch.int8, "torch.ByteStorage": torch.uint8,
    "torch.BoolStorage": torch.bool, "torch.UntypedStorage": torch.uint8,
}


def _rebuild_tensor(storage: torch.Tensor, offset: int, size: Iterable[int], stride: Iterable[int],
                    requires_grad: bool = False, backward_hooks: Any = None, metadata: Any = None) -> torch.Tensor:
    # `storage` is the flat tensor persistent_load built; as_strided checks the view stays inside it.
    if not isinstance(storage, torch.Tensor):
        raise pickle.UnpicklingError(f"a tensor must be rebuilt from a storage, not {type(storage).__name__}")
    return storage.as_strided(tuple(size), tuple(stride), int(offset))


def _rebuild_parameter(data: torch.Tensor, requires_grad: bool = False, backward_hooks: Any = None,
                       state: Any = None) -> torch.Tensor:
    return data  # a plain tensor: the weights are all we need


def _encode(text: str, encoding: str = "latin1") -> bytes:
    # Protocol 2 writes a bytes object as `_codecs.encode(text, 'latin1')`; only that use is accepted.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode is allowed only to rebuild bytes (latin1), not {encoding!r}")
    return text.encode("latin1")


def _rebuild_set(items: Iterable[Any] = ()) -> set[Any]:
    return set(items)


PLAIN: dict[str, Callable[..., Any]] = {
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "collections.OrderedDict": collections.OrderedDict,
    "builtins.set": _rebuild_set, "builtins.frozenset": _rebuild_set,
    "torch.Size": tuple,
    "_codecs.encode": _encode,
}
_OLD_MODULES = {"__builtin__": "builtins"}  # protocol-2 pickles written by Python 3 use the Python 2 names


class SafeUnpickler(pickle.Unpickler):
    """Unpickle `data.pkl` of a torch zip checkpoint, resolving globals only through the allow-list.

    `records` are the `module.qualname`s that become `Record`s; `guard(name)` may raise a clearer error for a
    global outside the allow-list (it is called before the refusal, with the name only).
    """

    def __init__(self, file: io.BufferedIOBase, archive: zipfile.ZipFile, root: str, records: Iterable[str],
                 guard: Callable[[str], None] | None = None):
        super().__init__(file)
        self._zip, self._root = archive, root
        self._records = {n: type(n.rsplit(".", 1)[-1], (Record,), {"global_name": n}) for n in records}
        self._guard = guard
        self._storages: dict[str, torch.Tensor] = {}
        self.globals_seen: list[str] = []

    def find_class(self, module: str, name: str) -> Any:
        full = f"{_OLD_MODULES.get(module, module)}.{name}"
        self.globals_seen.append(full)
        if full in PLAIN:
            return _Callable(PLAIN[full])
        if full in STORAGE_TYPES:
            return _StorageType(full, STORAGE_TYPES[full])
        if full in self._records:
            return self._records[full]
        if self._guard is not None:
            self._guard(full)
        raise RefusedGlobalError(full)

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and isinstance(pid[4], int)
                and pid[4] >= 0):
            raise pickle.UnpicklingError(f"unsupported persistent id {str(pid)[:120]}")
        _, stype, key, _location, numel = pid
        if key not in self._storages:
            try:
                raw = self._zip.read(f"{self._root}/data/{key}")
            except KeyError:
                raise pickle.UnpicklingError(f"storage '{key}' is missing from the archive") from None
            dtype = stype.dtype
            itemsize = torch.empty(0, dtype=dtype).element_size()
            if len(raw) < numel * itemsize:
                raise pickle.UnpicklingError(f"storage '{key}' holds {len(raw)} bytes; {numel} x {dtype} expected")
            raw = raw[: numel * itemsize]
            flat = torch.frombuffer(bytearray(raw), dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            self._storages[key] = flat
        return self._storages[key]


def load_pickled_checkpoint(path: str | Path, records: Iterable[str],
                            guard: Callable[[str], None] | None = None) -> Any:
    """Unpickle the torch zip checkpoint at `path` with `SafeUnpickler`; see its docstring.

    Raises RefusedGlobalError for a global outside the allow-list, pickle.UnpicklingError for a malformed
    pickle, zipfile.BadZipFile / KeyError for a file that is not a torch zip checkpoint.
    """
    with zipfile.ZipFile(path) as z:
        pkls = [n for n in z.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise zipfile.BadZipFile(f"expected one '<root>/data.pkl' in the archive, found {len(pkls)}")
        root = pkls[0].split("/", 1)[0]
        order = f"{root}/byteorder"
        if order in z.namelist() and z.read(order).strip() not in (b"little", b""):
            raise pickle.UnpicklingError("big-endian checkpoints are not supported")
        with z.open(pkls[0]) as f:
            return SafeUnpickler(io.BufferedReader(f), z, root, records, guard).load()  # type: ignore[arg-type]


_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
               "BINUNICODE8"}


def pickle_globals(data: bytes) -> list[str]:
    """Every `module.name` the pickle `data` names (GLOBAL and STACK_GLOBAL), read with pickletools: nothing runs.

    STACK_GLOBAL takes its two names from the stack; they are followed through the memo, which covers what
    pickle writes (the names are pushed as strings right before it, or fetched from the memo). A truncated pickle
    gives the globals named before its end.
    """
    found: list[str] = []
    memo: dict[int, Any] = {}
    pushed: list[Any] = [None, None]  # the last two values pushed, when they are strings (else None)
    try:
        for op, arg, _ in pickletools.genops(data):
            name = op.name
            if name == "GLOBAL":
                module, _, qual = str(arg).partition(" ")
                found.append(f"{_OLD_MODULES.get(module, module)}.{qual}")
            elif name == "STACK_GLOBAL" and isinstance(pushed[-2], str) and isinstance(pushed[-1], str):
                found.append(f"{_OLD_MODULES.get(pushed[-2], pushed[-2])}.{pushed[-1]}")
            if name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = pushed[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = pushed[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                pushed = [pushed[-1], memo.get(int(arg))]
            elif name not in ("PROTO", "FRAME"):
                pushed = [pushed[-1], arg if name in _STRING_OPS else None]
    except ValueError:  # truncated or malformed: what was named before that point still counts
        pass
    return found


def numpy_scalar_value(dtype: Record, data: bytes) -> float | int | bool | None:
    """Decode a pickled NumPy scalar (`numpy.dtype` record + raw bytes) into a Python number, without NumPy."""
    code = str(dtype.args[0]) if dtype.args else ""
    order = dtype.state[1] if isinstance(dtype.state, tuple) and len(dtype.state) > 1 else "<"
    fmt = {"f8": "d", "f4": "f", "f2": "e", "i8": "q", "i4": "i", "i2": "h", "i1": "b",
           "u8": "Q", "u4": "I", "u2": "H", "u1": "B", "b1": "?"}.get(code)
    if fmt is None or not isinstance(data, bytes) or len(data) != struct.calcsize(fmt):
        return None
    return struct.unpack((">" if order == ">" else "<") + fmt, data)[0]
