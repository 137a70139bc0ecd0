"""Network probe for tests/trust/test_no_network.py. Python imports `sitecustomize` at start-up
from PYTHONPATH, so this runs in every process of a tested command: the command itself, its
multiprocessing workers (spawned: a fresh interpreter) and anything forked (the hook is
inherited). Each network attempt is APPENDED to $FACESHELF_NETPROBE_RECORD, one line each:
raising would not be enough, the attempt may come from a thread whose exceptions are
swallowed (OpenVINO's telemetry does exactly that). The test requires the record to be empty
after the process has exited. After recording, the attempt is refused (an exception in
the caller), so a test never lets anything out even when it finds a leak.

Recorded: every DNS lookup, every connect/sendto/sendmsg to a network address, every URL
request and every connection opened by the standard library's network clients. Not
recorded: local sockets (Unix sockets, socketpair) and a bind without connect (urllib3 binds
to ::1 once to learn whether IPv6 exists).
"""

import os
import sys

_RECORD = os.environ.get("FACESHELF_NETPROBE_RECORD")

_LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
            "socket.gethostbyaddr", "socket.getnameinfo"}
_ADDRESSED = {"socket.connect", "socket.sendto", "socket.sendmsg"}
_CLIENTS = {"urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect",
            "imaplib.open", "poplib.connect", "nntplib.connect", "telnetlib.Telnet.open"}


def _record(event, args):
    if event in _ADDRESSED:
        address = args[1] if len(args) > 1 else None
        if not isinstance(address, tuple):  # a Unix socket path, or a connected socket
            return
    elif event not in _LOOKUPS and event not in _CLIENTS:
        return
    shown = args[1:] if event in _ADDRESSED else args  # (a socket's repr says little)
    line = f"pid={os.getpid()} argv0={sys.argv[0] if sys.argv else ''} {event} {shown!r}\n"
    descriptor = os.open(_RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode("utf-8", "replace"))
    finally:
        os.close(descriptor)
    raise OSError(f"network use refused by the test probe: {event}")


if _RECORD:
    sys.addaudithook(_record)
