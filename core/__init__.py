"""Faceshelf's headless engine. Never imports Qt."""

# First, before any dependency loads: switch off their telemetry and refuse network use.
from . import offline as _offline

_offline.install()

__version__ = "0.1.0"
