"""People references (id or name) and the photo filters of a search, as SQL.

A person filter selects by assignment: a photo "has Anna" when one of its faces (not ignored)
is assigned to Anna. Names match case-insensitively and may name several people.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from ..ids import checked_id
from ..text import clean_text
from .spec import PersonRef, SearchSpec


class UnknownPerson(ValueError):
    """A person id or name that is not in the catalog."""


def resolve_person(conn, ref: PersonRef) -> set[int]:
    """The ids a reference stands for: an int is an id; a str is a name (or, failing that,
    the digits of an id, as typed on a command line)."""
    if isinstance(ref, bool):
        raise UnknownPerson(f"not a person: {ref!r}")
    if isinstance(ref, int):
        if conn.execute("SELECT 1 FROM people WHERE id=?",
                        (checked_id(ref, "person id"),)).fetchone():
            return {ref}
        raise UnknownPerson(f"no person with id {ref}")
    rows = conn.execute("SELECT id FROM people WHERE name COLLATE NOCASE IN (?, ?)",
                        (ref.strip(), clean_text(ref))).fetchall()  # as typed, or as stored
    if rows:
        return {r[0] for r in rows}
    if ref.strip().isdigit():
        return resolve_person(conn, int(ref.strip()))
    raise UnknownPerson(f"no person named {ref!r}")


def resolve_people(conn, refs: Iterable[PersonRef]) -> list[set[int]]:
    return [resolve_person(conn, ref) for ref in refs]


def _has_any(ids: set[int]) -> tuple[str, list]:
    """Photos with one of `ids`, as a set: not a correlated EXISTS, which SQLite may run once
    per photo through the person index (quadratic: 17 s for 2,000 photos without ANALYZE)."""
    marks = ",".join("?" * len(ids))
    return (f"p.id IN (SELECT pf.photo_id FROM faces pf WHERE pf.ignored = 0 "
            f"AND pf.person_id IN ({marks}))", sorted(ids))


def _day_after(value: str) -> str | None:
    try:
        return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        return None


def _check_iso(value: str, what: str) -> str:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} is not an ISO date: {value!r}") from None
    return value


def photo_filter_sql(conn, spec: SearchSpec) -> tuple[str, list]:
    """A WHERE clause on photos `p` for the spec's people, date and folder filters."""
    clauses: list[str] = ["1"]
    params: list = []
    for ids in resolve_people(conn, spec.people_all):
        sql, args = _has_any(ids)
        clauses.append(sql)
        params += args
    if spec.people_any:
        sql, args = _has_any(set().union(*resolve_people(conn, spec.people_any)))
        clauses.append(sql)
        params += args
    if spec.people_not:
        sql, args = _has_any(set().union(*resolve_people(conn, spec.people_not)))
        clauses.append("NOT " + sql)
        params += args
    if spec.date_from:
        clauses.append("p.taken_at >= ?")
        params.append(_check_iso(spec.date_from, "date_from"))
    if spec.date_to:
        end = _check_iso(spec.date_to, "date_to")
        next_day = _day_after(end) if len(end) == 10 else None
        if next_day:  # a bare date includes that whole day
            clauses.append("p.taken_at < ?")
            params.append(next_day)
        else:
            clauses.append("p.taken_at <= ?")
            params.append(end)
    if spec.photo_ids:
        clauses.append("p.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps([int(i) for i in spec.photo_ids]))
    if spec.folder:
        prefix = str(Path(spec.folder).expanduser().resolve()).rstrip("/") + "/"
        clauses.append("substr(p.path, 1, ?) = ?")
        params += [len(prefix), prefix]
    return " AND ".join(clauses), params
