"""No byte leaves the machine: every phone-home path of our dependencies is switched off here,
before any of them is imported, and a guard refuses whatever network use is left.

Imported first by `core/__init__.py` (and so by `gui/`, the CLI and every worker process,
which all import `core` before anything else). What each dependency does, read in its source:

- OpenVINO: `import openvino` imports `openvino.tools.ovc`, which builds an
  `openvino_telemetry.Telemetry` and sends a "general_import" event to Google Analytics
  (DNS for www.google-analytics.com, POST /mp/collect from a process forked by an executor
  thread), after writing a client id and a usage count to ~/intel/openvino_ga_cid and
  ~/intel/stats. It stays quiet only when CI, TF_BUILD or JENKINS_URL is set, when $HOME is
  missing, or when ~/intel/openvino_telemetry says "0". Every import of `openvino_telemetry`
  in OpenVINO falls back to its own no-op stub on ImportError, so `None` in sys.modules
  (which makes that import fail) turns all of it off, whatever the environment says.
- onnxruntime 1.32 (Linux too) carries Microsoft's 1DS telemetry: at import it writes
  ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db} (events name the
  model files and hash their graphs) and later looks up mobile.events.data.microsoft.com. Only
  ORT_DISABLE_TELEMETRY=1 (or CI variables) *read when the native module loads* stops both;
  `onnxruntime.disable_telemetry_events()` after the import does not stop the files.
- insightface imports requests/urllib3 (urllib3 binds a socket to ::1 once to test for IPv6:
  no connection), has download helpers we never call (we never use `get_model`), and imports
  albumentations when installed, which checks PyPI for updates unless
  NO_ALBUMENTATIONS_UPDATE=1.
- numba, OpenCV, Pillow, Qt (no QtNetwork used), annoy, platformdirs: no network. numba's
  on-disk cache goes to Faceshelf's cache folder (NUMBA_CACHE_DIR) instead of the source tree.

tests/trust/test_no_network.py runs every command with an audit hook recording each socket
connect, DNS lookup and URL opened (in worker processes too) and fails on any.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

# Environment read by dependencies when they load. Set (not setdefault): a value in the user's
# environment such as ORT_DISABLE_TELEMETRY=0 must not turn telemetry back on.
FORCED_ENVIRONMENT = {
    "ORT_DISABLE_TELEMETRY": "1",
    "NO_ALBUMENTATIONS_UPDATE": "1",
}

# Hosts a network connection may go to: none, except the user's own cluster (core/remote),
# added by the command given its address, and handed down in this variable to the worker
# processes it spawns (they import core, and so this guard, before they connect).
CLUSTER_HOSTS_VARIABLE = "FACESHELF_CLUSTER_HOSTS"
allowed_hosts: set[str] = {host for host in os.environ.get(CLUSTER_HOSTS_VARIABLE, "").split(",")
                           if host}

_installed = False
_lock = threading.Lock()
_refused: set[str] = set()


class NetworkRefused(OSError):
    """A dependency tried to use the network; Faceshelf never does."""


def install() -> None:
    """Switch off telemetry and guard against network use. Idempotent; cheap (no imports)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    os.environ.update(FORCED_ENVIRONMENT)
    _numba_cache_in_our_folder()
    _switch_off_openvino_telemetry()
    _switch_off_onnxruntime_telemetry_if_loaded()
    sys.addaudithook(_guard)


def _numba_cache_in_our_folder() -> None:
    if "NUMBA_CACHE_DIR" in os.environ or "numba" in sys.modules:
        return
    import platformdirs

    os.environ["NUMBA_CACHE_DIR"] = os.path.join(
        platformdirs.user_cache_dir("faceshelf", appauthor=False), "numba")


def _switch_off_openvino_telemetry() -> None:
    loaded = sys.modules.get("openvino_telemetry")
    if loaded is None:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]
        return
    # Imported before us (not by any Faceshelf entry point): what its import sent is gone,
    # but nothing more leaves and nothing more is written.
    log.warning("openvino_telemetry was imported before Faceshelf could switch it off")
    from openvino_telemetry.utils.opt_in_checker import ConsentCheckResult, OptInChecker
    from openvino_telemetry.utils.sender import TelemetrySender

    TelemetrySender.send = lambda self, backend, message: None
    OptInChecker.check = lambda self, *args, **kwargs: ConsentCheckResult.DECLINED
    try:
        loaded.Telemetry().consent = False
    except Exception:  # never initialised: nothing to switch off
        pass


def _switch_off_onnxruntime_telemetry_if_loaded() -> None:
    ort = sys.modules.get("onnxruntime")
    if ort is None:
        return  # the environment above is read when it loads
    log.warning("onnxruntime was imported before Faceshelf could switch its telemetry off")
    try:
        ort.disable_telemetry_events()
    except Exception as error:
        log.warning("cannot switch onnxruntime telemetry off: %s", error)


# -- the guard --------------------------------------------------------------------------

_NAME_LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                 "socket.gethostbyaddr", "socket.getnameinfo"}
_SENDS = {"socket.connect", "socket.sendto", "socket.sendmsg"}


def _guard(event: str, args: tuple) -> None:
    """Audit hook: refuse DNS lookups, connections to network addresses and URL opens.
    Local sockets (Unix sockets, socketpair, a bind without connect) stay allowed."""
    if not (event.startswith("socket.") or event == "urllib.Request"):
        return
    if event in _NAME_LOOKUPS:
        host = args[0]
    elif event in _SENDS:
        address = args[1] if len(args) > 1 else None
        if not isinstance(address, tuple):  # AF_UNIX path, or a connected socket's send
            return
        host = address[0]
    elif event == "urllib.Request":
        host = args[0]
    else:
        return
    host = host.decode(errors="replace") if isinstance(host, bytes) else str(host)
    if host in allowed_hosts:
        return
    if host not in _refused:
        _refused.add(host)
        log.warning("refused a network %s to %s: Faceshelf works offline", event, host)
    raise NetworkRefused(f"Faceshelf works offline: {event} to {host} refused")
