"""Allocator tuning for processes that train and sample small models on the CPU.

glibc's malloc serves large blocks (above a threshold that adapts up to 32 MiB)
with fresh ``mmap`` pages and returns them on ``free``. A PyTorch step allocates
and frees the same activation-sized tensors again and again, so every step pays
for page faults and for the kernel zeroing the new pages, and two study workers
on two cores pay it side by side: 40 trials of ``bench/bench_study_real.py``'s
study on PostgreSQL with two workers cost them 28.5 s of system time, against 2.0
s with the settings below, and the two workers' trials per hour went from 1.62x
one worker's to 2.06x and 1.85x (two runs). PyTorch's CPU performance guide
recommends swapping in jemalloc or TCMalloc for the same reason;
:func:`tune_allocator` gets the effect without a preloaded library, through
glibc's own ``mallopt``: blocks below 64 MiB come from the heap and are reused,
and the heap is trimmed only above 256 MiB free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

#: ``mallopt`` parameters (glibc ``malloc.h``).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 64 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


@functools.cache
def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds in this process (once); returns whether
    it could (False off Linux/glibc, where nothing changes)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
