"""The indexing job the GUI runs: add folders, index (scan, detect, embed), update people.

People are refreshed while indexing goes on: between two pulls of the pipeline's generator the
job thread is free, so `PEOPLE_FIRST_S` after the start it runs the people core's incremental
update (the pipeline's workers keep filling their bounded queues meanwhile), then again after
an interval that doubles each time up to `PEOPLE_EVERY_S` (3, 6, 12, 20, 20 s...). The catalog
revision moves, the views reload, and the people come as the photos do: the first ones within
seconds of Start, the rest in the next updates (one update 6 s in and the next 20 s later
left a new user looking at one or two groups for half a minute; bench/first_people.py).
An update that found no one yet (too few faces for a group) is tried again a second later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

from core.jobs import CancelToken, Progress

from ..settings import Settings
from .tasks import worker_catalog

log = logging.getLogger(__name__)

PEOPLE_FIRST_S = 3.0    # the first people soon: a user watching a first index sees them come
PEOPLE_EVERY_S = 20.0   # at most this often: each update costs the index a moment of one core
PEOPLE_RETRY_S = 1.0    # when no face had been written yet, or no group could be made
PEOPLE_DOUBLING = True  # the interval grows from PEOPLE_FIRST_S (False: straight to EVERY)


def _people_core():
    try:
        from core import people
    except ImportError:
        return None
    return people if hasattr(people, "update_people") else None


def index_job(catalog_dir: Path, roots: list[str] | None, settings: Settings,
              options: dict | None = None):
    """A Job factory: `factory(token)` yields Progress until the library is indexed."""

    def run(token: CancelToken) -> Iterator[Progress]:
        from core import pipeline  # the ML stack loads here, in the worker, never at start-up

        catalog = worker_catalog(catalog_dir)  # (the index adds the roots once it may run)
        people = _people_core()
        kwargs = {"workers": settings.workers or None, "cancel": token}
        if settings.model_pack:
            kwargs["pack"] = settings.model_pack
        kwargs.update(options or {})
        interval = PEOPLE_FIRST_S
        next_people = time.monotonic() + interval
        revision = catalog.revision()
        for progress in pipeline.index(catalog, [str(r) for r in roots] if roots else None,
                                       **kwargs):
            yield progress
            if people and time.monotonic() > next_people:
                if catalog.revision() == revision:  # no new face yet: look again soon
                    next_people = time.monotonic() + PEOPLE_RETRY_S
                    continue
                found = yield from _update_people(people, catalog, token)
                revision = catalog.revision()
                if not found:   # too few faces for a group yet: look again soon
                    next_people = time.monotonic() + PEOPLE_RETRY_S
                    continue
                interval = (min(interval * 2, PEOPLE_EVERY_S) if PEOPLE_DOUBLING
                            else PEOPLE_EVERY_S)
                next_people = time.monotonic() + interval
        if people and not token.cancelled:
            yield from _update_people(people, catalog, token)
        if not token.cancelled:
            _refresh_search_index(catalog)

    return run


def _refresh_search_index(catalog) -> None:
    """New faces are searchable at once (the search core's exact delta); a rebuild of the ANN
    index when the delta has grown runs on the search core's own background thread."""
    from core.search import keep_index_fresh

    keep_index_fresh(catalog)


def people_job(catalog_dir: Path):
    def run(token: CancelToken) -> Iterator[Progress]:
        people = _people_core()
        if people is None:
            return
        yield from _update_people(people, worker_catalog(catalog_dir), token)
    return run


def _update_people(people, catalog, token: CancelToken):
    """Yields the update's progress; returns whether there is anyone to show yet (a group or
    a face given to a named person)."""
    last = None
    for progress in people.update_people(catalog, token):
        last = progress
        yield progress
    counters = last.counters if last is not None else {}
    return bool(counters.get("groups") or counters.get("auto_assigned"))
