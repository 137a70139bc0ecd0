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
        remote = _cluster_run(settings)  # Settings → Index on a cluster (its own thread: here)
        if remote is not None:
            kwargs["executor"] = remote
        try:
            yield from index_library(catalog, [str(r) for r in roots] if roots else None,
                                     cancel=token, people_while_indexing=PEOPLE_SCHEDULE,
                                     **kwargs)
        finally:
            if remote is not None:
                remote.close()
        if remote is not None and remote.lost:  # not the user's cancel: say it
            from core.remote.address import ClusterError

            raise ClusterError(f"{remote.lost}; the photos not indexed yet stay queued for "
                               f"the next index")

    return run


def _cluster_run(settings: Settings):
    """A connected core.remote ClusterRun when Settings names a cluster, else None."""
    if not settings.cluster_address:
        return None
    from core.remote.executor import ClusterRun

    run = ClusterRun(settings.cluster_address, cert_dir=settings.cluster_cert_dir or None)
    run.connect()
    return run


def people_job(catalog_dir: Path):
    """A Job factory: the incremental people update (after a stop, a removal, a rename)."""

    def run(token: CancelToken) -> Iterator[Progress]:
        from core.photo_indexing import people_update

        yield from people_update(worker_catalog(catalog_dir), token)

    return run
