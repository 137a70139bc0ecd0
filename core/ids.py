"""Ids as the catalog stores them: SQLite integers, so at most 2^63 - 1. A larger number typed
by a person (or written in a search file) is an input error with a sentence, not an
OverflowError from the driver."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def out_of_range(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_ID


def checked_id(value, what: str = "id") -> int:
    """`value` as an id; ValueError naming `what` when it is no whole number or too large."""
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not {value!r}") from None
    if out_of_range(number):
        raise ValueError(f"{what} {number} is out of range: ids are whole numbers from 1 to "
                         f"{MAX_ID}")
    return number
