"""The default match threshold (cosine of L2-normalised ArcFace embeddings).

Calibrated by `bench/calibrate_threshold.py` on the dev catalog of ../shared/data/faces: the
smallest threshold at which search results stay >= 99.5% precise (see the bench's docstring and
the README search section for the figures). A user can always pass `min_similarity`.
"""

from __future__ import annotations

DEFAULT_MIN_SIMILARITY = 0.35
