"""The Hamming scan of the bits index as one compiled pass (numba), when numba is there.

numpy needs three passes over every block of codes (XOR, popcount, sum), each a separate
call: 13 ms per query at 1M faces on one core. Compiled, each code word is XORed, counted
and summed as it streams by, on every core: 4.2 ms with both cores busy, ~8 ms after a pause
(bench/search_scale.py; README search section). Without numba the numpy scan is used; results
are the same bit for bit.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

log = logging.getLogger(__name__)

# numba's default thread pool ("workqueue") must never run two parallel kernels at once:
# every scanner of the process shares this lock.
_KERNEL_LOCK = threading.Lock()
_kernel = None
_tried = False


def _compile():
    import numba
    from numba import njit, prange

    # OpenMP's threads spin after each kernel and took a core from the exact re-rank that
    # follows (4 ms -> 8.7 ms); numba's own pool sleeps at once.
    numba.config.THREADING_LAYER = "workqueue"

    m1, m2, m4 = (np.uint64(0x5555555555555555), np.uint64(0x3333333333333333),
                  np.uint64(0x0F0F0F0F0F0F0F0F))
    h01, one, two, four, shift = (np.uint64(0x0101010101010101), np.uint64(1), np.uint64(2),
                                  np.uint64(4), np.uint64(56))

    @njit(parallel=True, nogil=True, cache=True)
    def mark_within(codes, queries, bar, out):  # pragma: no cover - compiled
        words, n = codes.shape
        for i in prange(n):
            hit = False
            for k in range(queries.shape[0]):
                distance = 0
                for w in range(words):
                    x = codes[w, i] ^ queries[k, w]
                    # popcount; LLVM turns this idiom into the POPCNT instruction
                    x = x - ((x >> one) & m1)
                    x = (x & m2) + ((x >> two) & m2)
                    x = (x + (x >> four)) & m4
                    distance += (x * h01) >> shift
                if distance <= bar:
                    hit = True
                    break
            out[i] = hit

    return mark_within


def kernel():
    """The compiled scan, or None without numba (compiled once per process, then cached on
    disk by numba)."""
    global _kernel, _tried
    with _KERNEL_LOCK:
        if not _tried:
            _tried = True
            try:
                _kernel = _compile()
            except ImportError:
                log.info("numba is not installed: the search index scans with numpy")
    return _kernel


def loaded() -> bool:
    """Whether this process has loaded the compiled scan already (then it costs nothing)."""
    return _kernel is not None


def within(codes: np.ndarray, queries: np.ndarray, bar: int, out: np.ndarray) -> np.ndarray:
    """Rows of `codes` (uint64 [W, n]) within Hamming distance `bar` of any of `queries`
    (uint64 [q, W]), ascending. `out` is a bool [n] scratch buffer. Needs kernel()."""
    with _KERNEL_LOCK:
        _kernel(codes, np.ascontiguousarray(queries, dtype=np.uint64), int(bar), out)
        return np.flatnonzero(out)
