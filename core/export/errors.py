"""The error every part of an export raises when it cannot start (kept apart from options.py
and naming.py, which both raise it, so neither has to import the other for it)."""

from __future__ import annotations


class ExportError(ValueError):
    """The export cannot start (bad destination, bad options); nothing was written."""
