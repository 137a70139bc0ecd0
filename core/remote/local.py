"""A cluster of worker processes on this machine (`distributed.LocalCluster`), with
Faceshelf's settings: for the tests and bench/cluster_index.py, which measure the cost of
going through Dask against local indexing on the same machine. Loopback only.
"""

from __future__ import annotations

import os

from .address import HTTP_ADDRESS, dask_settings, plan_connection

LOOPBACK = "127.0.0.1"


def local_cluster(workers: int = 2, *, cert_dir=None, threads_per_worker: int = 1):
    """A started LocalCluster on 127.0.0.1 (TLS with the certificates of `cert_dir` when
    given, else plaintext tcp): use it as a context manager; its `scheduler_address` is what
    a ClusterRun connects to."""
    import dask
    from distributed import LocalCluster

    from .. import offline
    from ..offline import CLUSTER_HOSTS_VARIABLE as HOSTS_VARIABLE

    offline.allowed_hosts.add(LOOPBACK)           # this process hosts the scheduler
    os.environ[HOSTS_VARIABLE] = LOOPBACK         # the worker processes it spawns
    dask.config.set(dask_settings())
    scheme = "tls" if cert_dir else "tcp"
    everyone = None
    if cert_dir:  # the cluster object talks to its scheduler as a client: every role's files
        from distributed.security import Security

        files = {}
        for role in ("scheduler", "worker", "client"):
            certs = plan_connection(f"tls://{LOOPBACK}:0", role=role, cert_dir=cert_dir).certs
            files.update({"tls_ca_file": str(certs.ca), f"tls_{role}_cert": str(certs.cert),
                          f"tls_{role}_key": str(certs.key)})
        everyone = Security(require_encryption=True, **files)
    return LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                        processes=True, host=LOOPBACK, protocol=scheme, security=everyone,
                        dashboard_address=HTTP_ADDRESS, worker_dashboard_address=HTTP_ADDRESS)
