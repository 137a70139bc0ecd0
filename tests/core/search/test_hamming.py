"""The Hamming scan of the bits index: the compiled pass and the numpy pass agree exactly."""

import numpy as np
import pytest

from core.search import hamming, stored_index


def _codes(n, words=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**63, size=(words, n), dtype=np.uint64, endpoint=True)


def _brute(codes, queries, bar):
    distance = np.array([[sum(bin(int(c) ^ int(q)).count("1") for c, q in zip(col, query))
                          for col in codes.T] for query in queries])
    return np.flatnonzero((distance <= bar).any(axis=0))


@pytest.mark.skipif(hamming.kernel() is None, reason="numba is not installed")
@pytest.mark.parametrize("n, queries, bar", [(0, 1, 384), (7, 1, 384), (300, 1, 370),
                                             (300, 3, 372), (5000, 2, 360)])
def test_compiled_and_numpy_scans_find_the_same_rows(n, queries, bar):
    codes = _codes(n, seed=n)
    rng = np.random.default_rng(n + 1)
    probe = codes[:, rng.integers(0, max(n, 1), queries)].T.copy() if n else _codes(1).T
    probe[:, 0] ^= np.uint64(0xFF)  # 8 bits off a stored code: near, not equal
    compiled = stored_index._HammingScanner(codes, 4, 2, use_compiled=True)
    plain = stored_index._HammingScanner(codes, 4, 2, use_compiled=False)
    assert compiled.compiled and not plain.compiled
    found = compiled.within(probe, bar)
    assert np.array_equal(found, plain.within(probe, bar))
    if n <= 300:
        assert np.array_equal(found, _brute(codes, probe, bar))
    if n:
        assert len(found) >= 1  # the probed rows themselves are 8 bits away


def test_without_numba_the_numpy_scan_is_used(monkeypatch):
    monkeypatch.setattr(hamming, "kernel", lambda: None)
    codes = _codes(1000)
    scanner = stored_index._HammingScanner(codes, 4, 2, use_compiled=True)
    assert not scanner.compiled
    assert np.array_equal(scanner.within(codes[:, 5][None], 0), [5])


def test_a_small_scan_does_not_load_numba_a_big_one_does(tmp_path):
    """The index's default: a one-shot search over a small scan stays in numpy (loading numba
    costs more than the scan); a scan past COMPILE_AFTER loads the kernel, and from then on
    every scan of the process uses it. Run in a fresh process: numba may be loaded here."""
    import subprocess
    import sys

    script = """
import sys
import numpy as np
from core.search import hamming, stored_index
rng = np.random.default_rng(0)
codes = rng.integers(0, 2**63, size=(12, 20000), dtype=np.uint64)
scanner = stored_index._HammingScanner(codes, 4, 2)
probe = codes[:, :3].T.copy()
small = scanner.within(probe, 0)
print(sorted(small.tolist()), scanner.compiled, "numba" in sys.modules)
stored_index._HammingScanner.COMPILE_AFTER = 50_000  # 3 queries x 20,000 rows is past it
big = stored_index._HammingScanner(codes, 4, 2).within(probe, 0)
print(sorted(big.tolist()), hamming.loaded(), "numba" in sys.modules)
print(stored_index._HammingScanner(codes, 4, 2).within(probe[:1], 0).tolist(),
      scanner.within(probe[:1], 0).tolist(), scanner.compiled)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[0, 1, 2] False False"
    if lines[1].endswith("False False"):
        pytest.skip("numba is not installed")
    assert lines[1] == "[0, 1, 2] True True"
    assert lines[2] == "[0] [0] True"  # once loaded, small scans use it too
