"""Limits that keep a bad input from costing the process: how long and how much a URL may take, how many pixels an
image may have, how often a dataset download is retried. Each is settable through an environment variable (the
defaults below); a bad value there is a ConfigError naming the variable.

| variable | default | what |
| --- | --- | --- |
| YOLOCLS_URL_TIMEOUT | 30 | seconds one network read (or the connection) may wait |
| YOLOCLS_URL_DEADLINE | 120 | seconds a whole image download (predict on a URL) may take |
| YOLOCLS_URL_MAX_MB | 64 | largest image a URL may deliver, in MB |
| YOLOCLS_MAX_PIXELS | 178956970 | largest image, in pixels (Pillow's own decompression-bomb limit); beyond it an image is refused |
| YOLOCLS_DOWNLOAD_RETRIES | 3 | attempts of a dataset download (1 s, 2 s, 4 s... apart) on a network error or a 5xx |
"""

from __future__ import annotations

import os

from .errors import ConfigError

URL_TIMEOUT = ("YOLOCLS_URL_TIMEOUT", 30.0)
URL_DEADLINE = ("YOLOCLS_URL_DEADLINE", 120.0)
URL_MAX_MB = ("YOLOCLS_URL_MAX_MB", 64.0)
MAX_PIXELS = ("YOLOCLS_MAX_PIXELS", 178_956_970)  # 2 x PIL.Image.MAX_IMAGE_PIXELS, where Pillow itself refuses
DOWNLOAD_RETRIES = ("YOLOCLS_DOWNLOAD_RETRIES", 3)


def _read(setting: tuple[str, float], minimum: float) -> float:
    name, default = setting
    raw = os.environ.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number (default {default:g})") from None
    if not value >= minimum:
        raise ConfigError(f"{name}={raw} must be >= {minimum:g} (default {default:g})")
    return value


def url_timeout() -> float:
    return _read(URL_TIMEOUT, 0.001)


def url_deadline() -> float:
    return _read(URL_DEADLINE, 0.001)


def url_max_bytes() -> int:
    return int(_read(URL_MAX_MB, 0.001) * 2**20)


def max_pixels() -> int:
    return int(_read(MAX_PIXELS, 1))


def download_retries() -> int:
    return int(_read(DOWNLOAD_RETRIES, 1))
