"""The desktop app: the only Qt layer of Faceshelf."""

import core as _core  # noqa: F401  first: switches dependencies' telemetry off (core/offline.py)
