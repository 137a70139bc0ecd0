"""The default match threshold (cosine of L2-normalised buffalo_s ArcFace embeddings).

Calibrated with `bench/search_scale.py --skip-synthetic --catalog DIR` on ../shared/data/faces
indexed by `faceshelf index`: querying each of the 494 people with >= 3 photos with one face,
0.35 is where precision reaches ~99.5% (0.995 counting photos whose labelled face matched,
0.982 strict) with a mean recall of 0.979; 0.30 gives 0.960 / 0.990, 0.40 gives 0.999 / 0.955.
Other model packs have other score scales: callers pass `min_similarity` for those.
"""

from __future__ import annotations

DEFAULT_MIN_SIMILARITY = 0.35
