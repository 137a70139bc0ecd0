"""The Dask plugins of a Faceshelf cluster (imported only where Dask runs).

- `AnalyzerPlugin` (worker): loads the analyzer once per worker process when the worker
  starts (or when a client registers it), so the first photo does not wait 1-2 s; the models
  are checked against their SHA-256 exactly as locally. It also opens core.offline's guard
  for this worker's scheduler: a worker process imports `core`, whose guard refuses every
  network connection not allowed by name.
- `AllowWorkers` (scheduler): the same for a scheduler Faceshelf runs, which connects to
  each worker that joined it.
"""

from __future__ import annotations

import asyncio
import logging
import os

from distributed.comm.addressing import get_address_host
from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

from .. import offline
from . import task

# Said on the worker: under Dask's logger, whose handler a worker process has (one that
# a nanny spawned has no other).
log = logging.getLogger("distributed.faceshelf")

PLUGIN_NAME = "faceshelf-analyzer"


def allow_hosts(*hosts: str) -> None:
    for host in hosts:
        if host:
            offline.allowed_hosts.add(host)


class AnalyzerPlugin(WorkerPlugin):
    name = PLUGIN_NAME

    def __init__(self, spec: task.AnalysisSpec) -> None:
        self.spec = spec

    async def setup(self, worker) -> None:
        allow_hosts(get_address_host(worker.scheduler.address))
        _lower_priority()
        loop = asyncio.get_running_loop()
        try:  # off the worker's event loop: heartbeats go on while the models load
            execution = await loop.run_in_executor(None, task.warm, self.spec)
            log.info("Faceshelf worker %s ready on %s", worker.address, execution)
        except Exception as error:  # each task says it again, and the client refuses us
            log.error("Faceshelf cannot load its models here: %s", error)


def _lower_priority() -> None:
    """Nice 10, as local indexing workers: a worker may be someone's desktop in the office,
    and what it does for the cluster should not make that desktop sluggish."""
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) < 10:
            os.nice(10 - os.getpriority(os.PRIO_PROCESS, 0))
    except (AttributeError, OSError):  # not on this system
        pass


class AllowWorkers(SchedulerPlugin):
    name = "faceshelf-allow-workers"

    async def add_worker(self, scheduler=None, worker=None, **kwargs) -> None:
        allow_hosts(get_address_host(worker))
