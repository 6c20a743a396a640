"""The one HTTP(S) download of yolocls (named datasets, official weights): stream into a temp file beside the
destination with a progress bar, check the size (the server's Content-Length and, when known, the expected
size) and the sha256, then rename onto the destination. A failed, short, corrupt or slow download leaves
nothing under the destination's name. Errors are raised as the caller's error type, naming the URL; network
errors, timeouts, 5xx answers and bodies cut short are retried with backoff (YOLOCLS_DOWNLOAD_RETRIES attempts).
"""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ._io import as_disk_full, require_space, temp_path
from .errors import DiskFullError, YoloclsError

TIMEOUT_S = 30.0
CHUNK = 1 << 20


def _reason(e: BaseException, url: str, timeout: float) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"download of {url} failed: HTTP {e.code} {e.reason}"
    reason = getattr(e, "reason", e)
    if isinstance(e, TimeoutError) or isinstance(reason, TimeoutError):
        return f"download of {url} timed out after {timeout:g}s"
    return f"download of {url} failed: {reason}"


class _Retryable(Exception):
    """A failure worth another attempt: the network, a timeout, a 5xx answer, a body cut short."""


def fetch(url: str, dest: str | Path, *, timeout: float = TIMEOUT_S, sha256: str | None = None,
          size: int | None = None, desc: str = "", error: type[YoloclsError] = YoloclsError,
          verify: Callable[[Path], None] | None = None, retries: int | None = None) -> Path:
    """Download `url` to `dest` atomically; returns `dest`.

    Raises `error` naming the URL on an HTTP error, a timeout (`timeout` seconds without data), a body shorter
    or longer than the server's Content-Length or than `size`, or a sha256 other than `sha256`; DiskFullError
    when the announced size does not fit. `verify(tmp)` may check the contents (and raise) before the file takes
    its name. Network failures are tried `retries` times in all (1 s, 2 s, 4 s... apart; default
    YOLOCLS_DOWNLOAD_RETRIES).
    """
    from . import limits

    attempts = limits.download_retries() if retries is None else max(1, int(retries))
    for attempt in range(1, attempts + 1):
        try:
            return _fetch_once(url, Path(dest), timeout, sha256, size, desc, error, verify)
        except _Retryable as e:
            if attempt == attempts:
                raise error(f"{e} (after {attempts} attempt{'s' if attempts > 1 else ''})") from None
            wait = 2.0 ** (attempt - 1)
            print(f"{e}; retrying in {wait:g} s (attempt {attempt + 1} of {attempts})", flush=True)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _fetch_once(url: str, dest: Path, timeout: float, sha256: str | None, size: int | None, desc: str,
                error: type[YoloclsError], verify: Callable[[Path], None] | None) -> Path:
    from tqdm import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(dest)
    digest, got, announced = hashlib.sha256(), 0, None
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
                announced = int(r.headers.get("Content-Length") or 0) or None
                expected = announced or size
                if expected:
                    require_space(dest, int(expected), what=f"the download {url}")
                with tqdm(total=announced or size, unit="B", unit_scale=True, unit_divisor=1024,
                          desc=desc or Path(url).name, leave=False, mininterval=0.5) as bar:
                    while chunk := r.read(CHUNK):
                        f.write(chunk)
                        digest.update(chunk)
                        got += len(chunk)
                        bar.update(len(chunk))
        except DiskFullError:
            raise
        except http.client.IncompleteRead as e:  # the connection closed before Content-Length bytes came
            raise _Retryable(f"download of {url} is incomplete: {got + len(e.partial):,} of {announced or 0:,} "
                             f"bytes arrived") from None
        except urllib.error.HTTPError as e:
            if e.code >= 500:
                raise _Retryable(_reason(e, url, timeout)) from None
            raise error(_reason(e, url, timeout)) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:  # incl. TimeoutError
            full = as_disk_full(e, tmp)
            if full is not None:
                raise full from None
            raise _Retryable(_reason(e, url, timeout)) from None
        if announced is not None and got != announced:
            raise _Retryable(f"download of {url} is incomplete: {got:,} of {announced:,} bytes arrived")
        if size is not None and got != int(size):
            raise error(f"download of {url} has {got:,} bytes, not the expected {int(size):,}: a different or "
                        f"damaged file")
        if sha256 and digest.hexdigest() != sha256.lower():
            raise error(f"download of {url} failed its checksum: sha256 {digest.hexdigest()}, expected {sha256}; "
                        f"the file was discarded")
        if verify is not None:
            verify(tmp)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
