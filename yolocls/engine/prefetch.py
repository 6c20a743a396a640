"""An ordered, bounded, threaded map: decode the next images while the model runs on the current batch."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_END = object()


class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int, depth: int) -> Iterator[R]:
    """`map(fn, items)` computed by `workers` threads, yielded in order, at most `depth` results ahead.

    A feeder thread walks `items` (so a slow iterator, such as a video decoder, overlaps too) and submits each
    to the pool; a bounded queue of futures keeps memory constant however many items there are. An exception
    raised by `items` is re-raised here; leaving the loop early (break, close) stops the feeder and the pool.
    """
    if workers <= 0:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="yolocls-decode")
    q: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(obj: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(obj, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def feed() -> None:
        try:
            for item in items:
                if stop.is_set() or not put(pool.submit(fn, item)):
                    return
            put(_END)
        except BaseException as e:  # handed to the consumer, which re-raises it in its own thread
            put(_Raised(e))

    feeder = threading.Thread(target=feed, name="yolocls-feeder", daemon=True)
    feeder.start()
    try:
        while True:
            f = q.get()
            if f is _END:
                return
            if isinstance(f, _Raised):
                raise f.exc
            yield f.result() if isinstance(f, Future) else f
    finally:
        stop.set()
        feeder.join()
        pool.shutdown(wait=True, cancel_futures=True)
