"""Edge TPU backend: the compiled model through LiteRT with the libedgetpu delegate.

Without libedgetpu (or without an attached Edge TPU) loading raises PlatformNotSupportedError: a compiled
model's Edge TPU op cannot run on the CPU.
"""

from __future__ import annotations

import ctypes
import platform
from typing import Any

from ..errors import PlatformNotSupportedError
from ._registry import register_runtime
from .tflite import TFLiteRuntime

LIBEDGETPU = {"Linux": "libedgetpu.so.1", "Darwin": "libedgetpu.1.dylib", "Windows": "edgetpu.dll"}
NEEDS = ("It needs the Edge TPU runtime (apt package libedgetpu1-std from Coral's repository, "
         "packages.cloud.google.com/apt coral-edgetpu-stable) and an attached Coral Edge TPU")


def library() -> str:
    """libedgetpu's file name on this OS."""
    return LIBEDGETPU.get(platform.system(), LIBEDGETPU["Linux"])


@register_runtime
class EdgeTPURuntime(TFLiteRuntime):
    """Option `device`: an Edge TPU device string for libedgetpu (e.g. `usb:0`, `pci:0`); default: the first."""

    name = "edgetpu"
    suffixes = ("_edgetpu.tflite",)
    runs_on = "edgetpu"

    @classmethod
    def unavailable_reason(cls, device: str = "cpu") -> str | None:
        """None once libedgetpu loads; whether an Edge TPU is attached shows only when the delegate loads."""
        try:
            ctypes.CDLL(library())
        except OSError as e:
            return f"the Edge TPU delegate ({library()}) did not load ({e}). {NEEDS}"
        return None

    def delegates(self) -> list[Any]:
        # the library first: a failed load_delegate leaves a half-made Delegate that errors when collected
        why = self.unavailable_reason(self.device)
        if why:
            raise PlatformNotSupportedError(self.name, why)
        opts = {"device": self.device} if self.device not in ("", "cpu") else {}
        try:
            return [self.litert.load_delegate(library(), opts)]
        except (ValueError, OSError) as e:
            raise PlatformNotSupportedError(self.name, f"the Edge TPU delegate ({library()}) did not load ({e}). "
                                                       f"{NEEDS}") from None
