"""Indexing the library from start to end: scan the folders, analyse the new and changed
photos (core.pipeline), update people, keep the face search index fresh.

One workflow, two front ends: `faceshelf index` and `rescan` show its Progress as a bar, the
GUI's index job forwards it to the status bar. (Words: "indexing" is finding the faces in the
photos; the "search index" is the face search's own structure, core.search.search_index.)

People are updated once the photos are indexed, and, with `people_while_indexing`, also while
they are (the GUI: the people come as the photos do, the first ones within seconds of Start;
bench/first_people.py). Between two pulls of the pipeline's generator the caller's thread is
free; at the schedule's times it runs the incremental people update there, while the
pipeline's workers keep filling their bounded queues. The catalog revision moves and a GUI's
views reload.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from .jobs import Cancelled, CancelToken, Progress


@dataclass(frozen=True)
class PeopleSchedule:
    """When people are updated while photos are still being indexed: `first_s` after the
    start, then after an interval that doubles each time up to `every_s` (3, 6, 12, 20, 20 s...;
    without `doubling`, `every_s` from the second on). An update that would find no one (no
    face written since the last one, or too few faces for a group) is tried `retry_s` later:
    one update 6 s in and the next 20 s later left a new user looking at one or two groups for
    half a minute."""

    first_s: float = 3.0    # the first people soon: a user watching a first index sees them come
    every_s: float = 20.0   # at most this often: each update costs the index a moment of one core
    retry_s: float = 1.0    # when no face had been written yet, or no group could be made
    doubling: bool = True


@dataclass
class IndexingSummary:
    """What a run did, filled in as it goes (as core.tags fills an ImportReport): complete
    once the generator is done; `scanned` and `indexed` already when people are updated."""

    scanned: dict[str, int] = field(default_factory=dict)   # the scan's counters (new, ...)
    # The pipeline's last "index" Progress: done, total, rate, counters faces and errors.
    indexed: Progress | None = None
    photos_ended_at: float | None = None   # time.monotonic() once scan and analysis ended
    # The counters of the update at the end (auto_assigned, suggested, groups, grouped_faces,
    # unknown_faces, skipped); None when it did not run to its end.
    people: dict[str, int] | None = None


def index_library(catalog, roots=None, *, workers: int | None = None,
                  cancel: CancelToken | None = None, pack=None, executor=None,
                  people: bool = True, people_while_indexing: PeopleSchedule | None = None,
                  wait_for_search_index: bool = False, summary: IndexingSummary | None = None,
                  **pipeline_options) -> Iterator[Progress]:
    """Scan `roots` (every folder of the catalog when None), index what is pending, then update
    people (unless not `people`) and the search index. Yields the Progress of each stage
    ("scan", "index", "people"); a stopped run (`cancel`) ends after the photos in flight.

    `workers`, `pack`, `executor` (where photos are analysed) and `pipeline_options`
    (analyzer, det_size, ...) go to core.pipeline.index. The search index is rebuilt on the
    search core's own thread when the new faces made it fall behind; `wait_for_search_index`
    waits for it (a process about to exit: its daemon thread would die with it).
    """
    from .pipeline import index  # the ML stack's entry: loaded here, never at start-up

    cancel = cancel or CancelToken()
    summary = summary if summary is not None else IndexingSummary()
    timer = (_PeopleTimer(people_while_indexing, catalog)
             if people and people_while_indexing is not None else None)
    for progress in index(catalog, roots, workers=workers, cancel=cancel, pack=pack,
                          executor=executor, **pipeline_options):
        if progress.stage == "scan":
            summary.scanned.update(progress.counters)
        elif progress.stage == "index":
            summary.indexed = progress
        yield progress
        if timer is not None and timer.due():
            if not timer.faces_changed():  # no face written since the last update
                timer.retry_soon()
                continue
            counters = yield from people_update(catalog, cancel)
            timer.updated(found=anyone_to_show(counters))
    summary.photos_ended_at = time.monotonic()
    if people and not cancel.cancelled:
        summary.people = yield from people_update(catalog, cancel)
    if not cancel.cancelled:
        refresh_search_index(catalog, wait=wait_for_search_index)


class _PeopleTimer:
    """The clock of a PeopleSchedule, started when the run starts."""

    def __init__(self, schedule: PeopleSchedule, catalog) -> None:
        self.schedule, self.catalog = schedule, catalog
        self.interval = schedule.first_s
        self.next_at = time.monotonic() + self.interval
        self.revision = catalog.revision()

    def due(self) -> bool:
        return time.monotonic() > self.next_at

    def faces_changed(self) -> bool:
        """Whether faces were written (or changed) since the last update."""
        return self.catalog.revision() != self.revision

    def retry_soon(self) -> None:
        self.next_at = time.monotonic() + self.schedule.retry_s

    def updated(self, *, found: bool) -> None:
        """After an update: the next one after the interval, or soon if it found no one."""
        self.revision = self.catalog.revision()
        if not found:  # too few faces for a group yet: look again soon
            self.retry_soon()
            return
        self.interval = (min(self.interval * 2, self.schedule.every_s)
                         if self.schedule.doubling else self.schedule.every_s)
        self.next_at = time.monotonic() + self.interval


def people_update(catalog, cancel: CancelToken | None = None
                  ) -> Generator[Progress, None, dict[str, int] | None]:
    """The incremental people update (assign new faces, regroup unknown ones), yielding its
    Progress; returns its summary counters, or None when it was stopped (a stopped update
    changes nothing, and the next one does its work)."""
    from .people import update_people

    if cancel is not None and cancel.cancelled:
        return None
    last = None
    try:
        for last in update_people(catalog, cancel):
            yield last
    except Cancelled:
        return None
    return dict(last.counters) if last is not None else None


def anyone_to_show(counters: dict[str, int] | None) -> bool:
    """Whether a people update left anyone to show: a group, or a face given to someone."""
    return bool(counters and (counters.get("groups") or counters.get("auto_assigned")))


def refresh_search_index(catalog, *, wait: bool) -> None:
    """Rebuild the search index on a background thread if indexing left a large delta (new
    faces are searchable at once through the search core's exact delta: searches stay complete
    without it, only slower). `wait` for the thread where the process ends soon."""
    from .search import keep_index_fresh

    thread = keep_index_fresh(catalog)
    if wait and thread is not None:
        thread.join()
