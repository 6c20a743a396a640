"""yolocls._backends: importing with chosen packages hidden, for this thread and this block only."""

from __future__ import annotations

import importlib
import sys
import threading

import pytest

from yolocls._backends import hidden_packages

NAME = "colorsys"  # a small stdlib module nothing here needs


def test_hidden_packages_fail_inside_the_block_only_and_leave_nothing_behind():
    sys.modules.pop(NAME, None)
    finders = list(sys.meta_path)
    with hidden_packages((NAME, "some_other_package")):
        with pytest.raises(ModuleNotFoundError, match="hidden by yolocls") as err:
            importlib.import_module(NAME)
        assert err.value.name == NAME and NAME not in sys.modules
        # another thread is not affected (an export hides packages from its own imports only)
        seen = []
        worker = threading.Thread(target=lambda: seen.append(importlib.import_module(NAME)))
        worker.start()
        worker.join()
        assert seen and seen[0].__name__ == NAME
    sys.modules.pop(NAME, None)
    assert importlib.import_module(NAME).rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert sys.meta_path == finders


def test_an_imported_package_stays_usable_while_hidden():
    importlib.import_module(NAME)
    with hidden_packages((NAME,)):
        assert importlib.import_module(NAME) is sys.modules[NAME]
