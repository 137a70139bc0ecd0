"""The Hamming scan of the bits index: the compiled pass and the numpy pass agree exactly."""

import numpy as np
import pytest

from core.search import generation, hamming


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
    compiled = generation._HammingScanner(codes, 4, 2)
    plain = generation._HammingScanner(codes, 4, 2, use_compiled=False)
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
    scanner = generation._HammingScanner(codes, 4, 2)
    assert not scanner.compiled
    assert np.array_equal(scanner.within(codes[:, 5][None], 0), [5])
