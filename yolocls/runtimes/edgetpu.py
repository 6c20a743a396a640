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


@register_runtime
class EdgeTPURuntime(TFLiteRuntime):
    """Option `device`: an Edge TPU device string for libedgetpu (e.g. `usb:0`, `pci:0`); default: the first."""

    name = "edgetpu"
    suffixes = ("_edgetpu.tflite",)

    def delegates(self) -> list[Any]:
        lib = LIBEDGETPU.get(platform.system(), LIBEDGETPU["Linux"])
        opts = {"device": self.device} if self.device not in ("", "cpu") else {}
        try:
            ctypes.CDLL(lib)  # first: a failed load_delegate leaves a half-made Delegate that errors when collected
            return [self.litert.load_delegate(lib, opts)]
        except (ValueError, OSError) as e:
            raise PlatformNotSupportedError(
                "edgetpu", f"the Edge TPU delegate ({lib}) did not load ({e}). It needs the Edge TPU runtime "
                "(apt package libedgetpu1-std from Coral's repository, packages.cloud.google.com/apt "
                "coral-edgetpu-stable) and an attached Coral Edge TPU") from None
