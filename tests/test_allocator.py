"""tune_allocator: glibc's mallopt thresholds, set once per process."""

from __future__ import annotations

import ctypes.util
import sys

import pytest

from lossbalance._allocator import tune_allocator


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
    reason="glibc's mallopt exists on Linux only",
)
def test_tune_allocator_sets_glibc_thresholds_once() -> None:
    assert tune_allocator() is True
    assert tune_allocator() is True  # idempotent: the first result, no second call
