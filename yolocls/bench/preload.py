"""What the bench's torch fork server imports once (multiprocessing's forkserver preload, isolation.PRELOAD):
PyTorch and the model code, with the garbage collector paused and what they built frozen (`_backends.gc_paused`),
so the exports, the reference and the torch runtimes forked from it start with torch loaded and leave it out
of their own collections. Imported only by the fork server: it makes its process freeze after imports."""

import atexit
import os

from .._backends import freeze_after_imports, gc_paused

# The fork server ends when the bench does (EOF on its pipe to the parent): tearing an interpreter with torch
# down then takes ~1 s here, during which it still holds the bench's stdout/stderr open (a pipe reading the
# bench waits for it). Registered last, this handler runs first and ends the process at once.
atexit.register(os._exit, 0)
freeze_after_imports()
with gc_paused():
    import yolocls.engine.exporter  # noqa: F401
    import yolocls.models  # noqa: F401
