"""The commands of indexing on other machines (core/remote): `--cluster` and its options on
`index` and `rescan` (engine), and `worker`, `scheduler` and `cluster-certs`. (Named `remote`,
not `cluster`: `faceshelf cluster` groups faces into people.)

Parsing loads no Dask (the parser is built for every command, `faceshelf --help` included);
only a command given `--cluster`, and `worker`/`scheduler`, import it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _security_options(p) -> None:
    p.add_argument("--cert-dir", metavar="DIR",
                   help="the cluster's certificates (from `faceshelf cluster-certs`); "
                        "required for a tls:// address")
    p.add_argument("--insecure", action="store_true",
                   help="allow plaintext to an address that is not loopback (photos and "
                        "faces cross the network unencrypted)")


def add_index_options(p) -> None:
    """`index`/`rescan`: analyse on a cluster instead of this computer's cores."""
    g = p.add_argument_group("on a cluster (photos are sent to the machines you name)")
    g.add_argument("--cluster", metavar="ADDR",
                   help="the Dask scheduler of your cluster, e.g. tls://host:8786: workers "
                        "there analyse the photos, this computer keeps the catalog")
    g.add_argument("--cert-dir", metavar="DIR",
                   help="the cluster's certificates (`faceshelf cluster-certs`)")
    g.add_argument("--insecure", action="store_true",
                   help="allow plaintext to a --cluster address that is not loopback")
    g.add_argument("--path-map", action="append", metavar="LOCAL=REMOTE",
                   help="workers read photos under LOCAL themselves at REMOTE (a share they "
                        "mount) instead of receiving their bytes; repeatable")


def add_commands(sub) -> None:
    p = sub.add_parser("worker", help="serve as a worker of a Faceshelf cluster: analyse "
                                      "photos for the computers that index on it")
    p.add_argument("address", metavar="ADDR", help="the cluster's scheduler, e.g. "
                                                   "tls://host:8786")
    _security_options(p)
    p.add_argument("--nthreads", type=_positive, default=None, metavar="N",
                   help="photos analysed at once, one process each (default: one per core)")
    p.add_argument("--model-pack", metavar="NAME|DIR",
                   help="the face models (default buffalo_s; must be the indexing catalog's)")
    p.add_argument("--listen", metavar="HOST",
                   help="this machine's address as the cluster sees it (default: the one "
                        "on the route to the scheduler)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("scheduler", help="serve as the scheduler of a Faceshelf cluster "
                                         "(workers and indexing computers connect to it)")
    p.add_argument("address", metavar="ADDR", nargs="?", default="tls://0.0.0.0:8786",
                   help="where to listen (default tls://0.0.0.0:8786: every interface)")
    _security_options(p)
    p.set_defaults(func=cmd_scheduler)

    p = sub.add_parser("cluster-certs", help="make a certificate authority and the "
                                             "certificates of a cluster's machines")
    p.add_argument("folder", metavar="DIR", help="a new (or empty) folder")
    p.set_defaults(func=cmd_cluster_certs)


# -- index / rescan -------------------------------------------------------------------------

def cluster_run(args):
    """The ClusterRun asked for by `--cluster` (connected: a refused address, missing
    certificates or an unreachable scheduler are said before the catalog changes), or None.
    Options that need --cluster without it are refused."""
    if not getattr(args, "cluster", None):
        for name in ("cert_dir", "path_map"):
            if getattr(args, name, None):
                raise ValueError(f"--{name.replace('_', '-')} is for --cluster")
        if getattr(args, "insecure", False):
            raise ValueError("--insecure is for --cluster")
        return None
    from ..remote.executor import ClusterRun
    from ..remote.pathmap import parse_path_maps

    run = ClusterRun(args.cluster, cert_dir=args.cert_dir, insecure=args.insecure,
                     path_map=parse_path_maps(args.path_map))
    _quiet_dask(getattr(args, "verbose", False))
    run.connect()
    return run


def report(run, *, as_json: bool) -> dict:
    """After the run: each worker's execution provider and rate, refused workers (and why),
    and why the run stopped early if the cluster went away; the dict for --json."""
    summary = run.summary()
    if not as_json:
        for address, worker in summary["workers"].items():
            rate = f", {worker['rate']:.1f} photos/s" if worker["rate"] else ""
            print(f"cluster worker {address}: {worker['execution']}, "
                  f"{worker['photos']} photos{rate}")
        for address, reason in summary["refused"].items():
            print(f"cluster worker {address} refused: {reason}")
    if run.lost:
        sys.stderr.write(f"faceshelf: {run.lost}\n")
    return summary


def _quiet_dask(verbose: bool) -> None:
    """Dask logs every connection at INFO, and a lost scheduler as an ERROR with its
    traceback, on its own handler: a user gets Faceshelf's sentence instead (report), and
    Dask's own words with -v."""
    import distributed  # noqa: F401  (its logging is set up on import; then we adjust it)

    level = logging.INFO if verbose else logging.CRITICAL
    names = [name for name in logging.root.manager.loggerDict
             if name.split(".")[0] in ("distributed", "tornado")]
    for name in {"distributed", "tornado", *names}:  # (Dask's config sets some children)
        logging.getLogger(name).setLevel(level)


# -- worker / scheduler / cluster-certs -----------------------------------------------------

def _serving_logs() -> None:
    """A long-running service says what it does: INFO from Faceshelf and Dask."""
    logging.getLogger().setLevel(logging.INFO)
    for name in ("core", "distributed"):
        logging.getLogger(name).setLevel(logging.INFO)


def cmd_worker(args) -> int:
    from ..pipeline import default_workers
    from ..remote.service import run_worker

    _serving_logs()
    return run_worker(args.address, cert_dir=args.cert_dir, insecure=args.insecure,
                      threads=args.nthreads or default_workers(), pack=args.model_pack,
                      listen=args.listen)


def cmd_scheduler(args) -> int:
    from ..remote.service import run_scheduler

    _serving_logs()
    return run_scheduler(args.address, cert_dir=args.cert_dir, insecure=args.insecure)


def cmd_cluster_certs(args) -> int:
    from ..remote.certs import make_cluster_certs

    folder = Path(args.folder).expanduser()
    written = make_cluster_certs(folder)
    print(f"made a certificate authority and certificates in {folder}:")
    for path in written:
        print(f"  {path.name}")
    print("copy ca.pem with scheduler.pem/.key to the scheduler, worker.pem/.key to each "
          "worker, client.pem/.key to each computer that indexes; ca.key makes more "
          "certificates: keep it off the cluster. Whoever has a .key can join: keep them "
          "as private as the photos.")
    return 0
