"""Where the cluster is and how it may be reached: the security rule.

Faces are biometric data, and by default photos travel to the workers as bytes. So:
- an address that is not loopback is reached only over TLS with mutual certificates (each
  side proves itself with a certificate signed by the cluster's own CA, `faceshelf
  cluster-certs`); a plaintext `tcp://` address that is not loopback is refused;
- plaintext is allowed on loopback (nothing leaves the machine), or with `--insecure`, which
  warns (a network the user trusts, knowingly).

Pure (no Dask): the rule is unit-tested on its own (tests/core/remote/test_address.py), and
`faceshelf index --help` does not load Dask to parse an address.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_PORT = 8786                # Dask's scheduler port
SCHEMES = ("tls", "tcp")
ROLES = ("scheduler", "worker", "client")
CA_FILE = "ca.pem"


class ClusterError(ValueError):
    """A cluster that cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ClusterAddress:
    scheme: str     # "tls" or "tcp"
    host: str       # as given (a name or an IP literal, without brackets)
    port: int

    @property
    def text(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Loopback by its literal form only (127.0.0.0/8, ::1, "localhost"): a name is never
    resolved to decide, so a DNS answer cannot turn plaintext on. An unspecified address
    (0.0.0.0, ::) listens on every interface: not loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_address(text: str, *, default_scheme: str = "tls") -> ClusterAddress:
    """`tls://host:port`, `tcp://host:port`, `host:port` or `host` (port 8786); IPv6 in
    brackets. ClusterError with the reason for anything else."""
    original = text
    text = text.strip()
    scheme = default_scheme
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise ClusterError(f"cluster address {original!r}: the scheme must be tls:// or tcp://")
    text = text.rstrip("/")
    port = DEFAULT_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ClusterError(f"cluster address {original!r} is not host:port")
            port = _port(rest[1:], original)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, original)
    elif text.count(":") > 1:  # a bare IPv6 address
        host = text
    else:
        host = text
    if not host or any(c in host for c in "/@ "):
        raise ClusterError(f"cluster address {original!r} has no host name")
    return ClusterAddress(scheme, host, port)


def _port(text: str, original: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise ClusterError(f"cluster address {original!r}: the port must be a number") from None
    if not 0 <= port < 65536:  # (0: any free port, for a scheduler that listens)
        raise ClusterError(f"cluster address {original!r}: the port must be 0-65535")
    return port


@dataclass(frozen=True)
class CertFiles:
    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class ConnectionPlan:
    """How one Faceshelf process (a role) uses one cluster address."""
    address: ClusterAddress
    role: str
    certs: CertFiles | None        # None: plaintext
    warning: str | None = None     # said to the user before connecting (--insecure)


def cert_files(cert_dir: Path, role: str) -> CertFiles:
    """The CA certificate and this role's certificate and key, as `cluster-certs` names them;
    ClusterError naming the first missing file."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    folder = Path(cert_dir).expanduser()
    files = CertFiles(folder / CA_FILE, folder / f"{role}.pem", folder / f"{role}.key")
    for path in (files.ca, files.cert, files.key):
        if not path.is_file():
            raise ClusterError(f"certificate file missing: {path} (make the cluster's "
                               f"certificates with `faceshelf cluster-certs DIR` and copy "
                               f"ca.pem, {role}.pem and {role}.key to this machine)")
    return files


def plan_connection(address: str, *, role: str, cert_dir: Path | str | None = None,
                    insecure: bool = False) -> ConnectionPlan:
    """The security rule. An address without a scheme is tls:// when certificates are given,
    else tcp://. ClusterError when the rule refuses, with what to do instead."""
    parsed = parse_address(address, default_scheme="tls" if cert_dir else "tcp")
    if parsed.scheme == "tls":
        if cert_dir is None:
            raise ClusterError(f"{parsed.text} is a TLS address: give the folder of the "
                               f"cluster's certificates with --cert-dir (made by "
                               f"`faceshelf cluster-certs DIR`)")
        return ConnectionPlan(parsed, role, cert_files(Path(cert_dir), role))
    if cert_dir is not None:
        raise ClusterError(f"--cert-dir is for TLS: use tls://{parsed.text.split('://')[1]}")
    if parsed.loopback:
        return ConnectionPlan(parsed, role, None)
    if not insecure:
        raise ClusterError(
            f"refusing plaintext to {parsed.host}: photos and faces (biometric data) would "
            f"cross the network unencrypted. Use tls://{parsed.host}:{parsed.port} with "
            f"--cert-dir (certificates from `faceshelf cluster-certs DIR`), or --insecure "
            f"on a network you trust")
    return ConnectionPlan(parsed, role, None, warning=(
        f"--insecure: photos, faces and thumbnails cross the network to {parsed.host} "
        f"unencrypted, and anyone who can reach {parsed.text} can join the cluster"))


# -- the settings of every Faceshelf process on a cluster -------------------------------------

def dask_settings() -> dict:
    """Dask configuration for the client, the scheduler and the workers Faceshelf starts
    (read from Dask's sources, distributed 2026.8.0):
    - no preload scripts: a user's dask config or DASK_ variable could name a URL, which
      `distributed.preloading` downloads and runs;
    - the HTTP server every scheduler and worker starts (Prometheus metrics, a JSON view of
      the cluster, a proxy to workers' dashboards) serves no route, and listens on loopback
      only (`http_address`); there is no dashboard (bokeh is not installed);
    - no spilling: a worker never writes task data (photo bytes, results) to its disk;
    - no sampling profiler and no GIL monitor (they cost CPU and feed only the dashboard).
    """
    return {
        "distributed.scheduler.preload": [],
        "distributed.worker.preload": [],
        "distributed.nanny.preload": [],
        "distributed.client.preload": [],
        "distributed.scheduler.http.routes": [],
        "distributed.worker.http.routes": [],
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.target": False,
        # A sampling profiler reads each worker thread's stack every 10 ms, for a dashboard
        # Faceshelf does not have: ~10% of a worker's CPU per photo (bench/cluster_index.py).
        "distributed.worker.profile.enabled": False,
        "distributed.admin.system-monitor.gil.enabled": False,
        # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536: glibc then hands every freed
        # decode buffer back to the system and faults it in again for the next photo (~17 ms
        # more CPU per 12 MP photo, measured: 89 ms in a worker against 72 ms in a process
        # without it). The rest of Dask's worker environment stays.
        "distributed.nanny.pre-spawn-environ": {
            "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
    }


HTTP_ADDRESS = "127.0.0.1:0"   # where the route-less HTTP server of each process listens


def security(plan: ConnectionPlan):
    """A distributed.security.Security for the plan: mutual TLS (every connection needs a
    certificate of the cluster's CA, encryption required), or None for plaintext."""
    if plan.certs is None:
        return None
    from distributed.security import Security

    role = plan.role
    files = {"tls_ca_file": str(plan.certs.ca), f"tls_{role}_cert": str(plan.certs.cert),
             f"tls_{role}_key": str(plan.certs.key)}
    return Security(require_encryption=True, **files)


def allow_cluster_host(address: ClusterAddress) -> list[str]:
    """Open core.offline's guard for this cluster, and only it: the name as given and every
    address it resolves to (the one DNS lookup Faceshelf makes, for a name the user gave).
    Returns the addresses allowed."""
    import socket

    from .. import offline

    offline.allowed_hosts.add(address.host)
    allowed = [address.host]
    try:
        infos = socket.getaddrinfo(address.host, address.port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise ClusterError(f"cannot find the cluster's scheduler {address.host}: "
                           f"{error.strerror or error}") from None
    for info in infos:
        ip = info[4][0]
        offline.allowed_hosts.add(ip)
        allowed.append(ip)
    return allowed
