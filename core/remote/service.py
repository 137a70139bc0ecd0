"""`faceshelf worker ADDR` and `faceshelf scheduler ADDR`: the Dask processes of a Faceshelf
cluster, started with Faceshelf's rules (core.remote.address): mutual TLS off loopback, no
preload scripts, no spilling to disk, an HTTP server with no route on loopback only, and
core.offline's guard opened for the cluster's machines only.

A worker is `threads` worker processes (Dask nannies) of one thread each: the analyzer is
not thread-safe and one process per core is what local indexing measured fastest. Each
loads the analyzer when it starts (core.remote.plugin).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

from .address import (HTTP_ADDRESS, ClusterError, allow_cluster_host, dask_settings,
                      plan_connection, security)

log = logging.getLogger(__name__)

LOOPBACK = HTTP_ADDRESS.split(":")[0]


def _local_address_towards(host: str, port: int) -> str:
    """The address of this machine on the route to the scheduler, by connecting to it (the
    address the user gave, never a well-known outside host as Dask's own guess does)."""
    try:
        with socket.create_connection((host, port), timeout=10) as probe:
            return probe.getsockname()[0]
    except OSError as error:
        raise ClusterError(f"cannot reach the cluster's scheduler at {host}:{port}: "
                           f"{error.strerror or error}") from None


def _allow_loopback() -> list[str]:
    """The route-less HTTP server of each Dask process listens on loopback (HTTP_ADDRESS);
    a connection there never leaves the machine."""
    from .. import offline

    offline.allowed_hosts.add(LOOPBACK)
    return [LOOPBACK]


def run_worker(address: str, *, cert_dir=None, insecure: bool = False, threads: int = 1,
               pack: str | None = None, listen: str | None = None) -> int:
    """Serve as a worker until interrupted (Ctrl-C, SIGTERM) or the scheduler closes it."""
    from .. import __version__
    from ..faces.model_files import DEFAULT_PACK, find_pack
    from ..offline import CLUSTER_HOSTS_VARIABLE as HOSTS_VARIABLE
    from .providers import worker_execution

    plan = plan_connection(address, role="worker", cert_dir=cert_dir, insecure=insecure)
    if plan.warning:
        log.warning("%s", plan.warning)
    allowed = allow_cluster_host(plan.address) + _allow_loopback()
    model_pack = find_pack(pack or DEFAULT_PACK)   # models missing or altered: said now
    host = listen or _local_address_towards(plan.address.host, plan.address.port)
    execution = worker_execution()
    log.info("Faceshelf %s worker: %d process(es) of one thread on %s, models %s, "
             "listening on %s", __version__, threads, execution.label, model_pack.model_id,
             host)
    os.environ[HOSTS_VARIABLE] = ",".join(allowed)   # for the spawned worker processes
    import dask

    dask.config.set(dask_settings())
    from .plugin import AnalyzerPlugin
    from .task import AnalysisSpec

    spec = AnalysisSpec(__version__, model_pack.name, model_pack.model_id,
                        (("det_size", 640),))   # what `faceshelf index` asks by default
    return asyncio.run(_serve_nannies(plan, host, threads, spec, AnalyzerPlugin))


async def _serve_nannies(plan, host, threads, spec, plugin_class) -> int:
    from distributed import Nanny

    stop = asyncio.Event()
    _on_signals(stop.set)
    async with contextlib.AsyncExitStack() as stack:
        nannies = []
        for slot in range(max(1, threads)):
            nanny = Nanny(plan.address.text, nthreads=1, security=security(plan), host=host,
                          dashboard_address=HTTP_ADDRESS, dashboard=False,
                          config=dask_settings(), plugins=(plugin_class(spec),),
                          name=f"{socket.gethostname()}-{os.getpid()}-{slot}")
            nannies.append(await stack.enter_async_context(nanny))
        finished = asyncio.gather(*(nanny.finished() for nanny in nannies))
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait([finished, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        for nanny in nannies:
            await nanny.close()
    return 0


def run_scheduler(address: str, *, cert_dir=None, insecure: bool = False) -> int:
    """Serve as the cluster's scheduler on `address` (the interface and port to listen on:
    tls://0.0.0.0:8786 for every interface) until interrupted."""
    plan = plan_connection(address, role="scheduler", cert_dir=cert_dir, insecure=insecure)
    if plan.warning:
        log.warning("%s", plan.warning)
    allow_cluster_host(plan.address)  # its own address (to listen); workers as they join
    _allow_loopback()
    import dask

    dask.config.set(dask_settings())
    return asyncio.run(_serve_scheduler(plan))


async def _serve_scheduler(plan) -> int:
    from distributed import Scheduler

    from .plugin import AllowWorkers

    stop = asyncio.Event()
    _on_signals(stop.set)
    scheduler = Scheduler(host=plan.address.host, port=plan.address.port,
                          protocol=plan.address.scheme, security=security(plan),
                          dashboard=False, dashboard_address=HTTP_ADDRESS)
    scheduler.add_plugin(AllowWorkers())
    async with scheduler:
        log.info("Faceshelf cluster scheduler at %s", scheduler.address)
        print(f"scheduler listening at {scheduler.address}", flush=True)
        finished = asyncio.ensure_future(scheduler.finished())
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait([finished, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    return 0


def _on_signals(callback) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no handlers
            loop.add_signal_handler(signum, callback)
