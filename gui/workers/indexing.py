"""The GUI's indexing and people jobs: core.photo_indexing's workflow, run as Jobs.

People are refreshed while indexing goes on (`PEOPLE_SCHEDULE`, see core.photo_indexing): the
people come as the photos do, the first ones within seconds of Start. The search index is
rebuilt, when it has fallen behind, on the search core's background thread: the job ends
without waiting for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from core.jobs import CancelToken, Progress
from core.photo_indexing import PeopleSchedule

from ..settings import Settings
from .tasks import worker_catalog

PEOPLE_SCHEDULE = PeopleSchedule()   # 3, 6, 12, 20, 20 s...; a second later when none found


def index_job(catalog_dir: Path, roots: list[str] | None, settings: Settings,
              options: dict | None = None):
    """A Job factory: `factory(token)` yields Progress until the library is indexed.
    `options` go to core.pipeline.index as they are (e.g. a loaded analyzer in tests)."""

    def run(token: CancelToken) -> Iterator[Progress]:
        from core.photo_indexing import index_library

        catalog = worker_catalog(catalog_dir)  # (the index adds the roots once it may run)
        kwargs = {"workers": settings.workers or None}
        if settings.model_pack:
            kwargs["pack"] = settings.model_pack
        kwargs.update(options or {})
        yield from index_library(catalog, [str(r) for r in roots] if roots else None,
                                 cancel=token, people_while_indexing=PEOPLE_SCHEDULE, **kwargs)

    return run


def people_job(catalog_dir: Path):
    """A Job factory: the incremental people update (after a stop, a removal, a rename)."""

    def run(token: CancelToken) -> Iterator[Progress]:
        from core.photo_indexing import people_update

        yield from people_update(worker_catalog(catalog_dir), token)

    return run
