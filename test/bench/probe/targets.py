"""Loopback targets for the probe benchmark, in their own process so no prober's CPU figure includes them.

Usage: targets.py OPEN_COUNT REFUSED_COUNT SILENT_COUNT. Prints one JSON line {"open": [...], "refused": [...],
"silent": [...]} (port numbers) when
ready, serves until stdin closes (the benchmark exiting ends it too), then exits.

- open: accepts every connection and closes it when the client does (or at once if the client sent data).
- refused: a socket bound to the port but not listening; the kernel answers a SYN with RST, and holding the
  bind keeps every other process (tests running alongside) from taking the port during the benchmark.
- silent: listen(0) and never accept, with the one-slot accept queue already filled by a connection from
  this process; the kernel then drops further SYNs, so a probe's TCP connect never completes and every
  prober (ours, blackbox_exporter, check_tcp) ends in a connect timeout at its own deadline.
"""
import json
import os
import selectors
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from accept_loop import serve  # noqa: E402  (the shared loop lives beside the TypeScript bench helpers)


def main() -> None:
    open_count, refused_count, silent_count = (int(a) for a in sys.argv[1:4])
    selector = selectors.DefaultSelector()
    open_ports = []
    for _ in range(open_count):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(4096)
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ, "listener")
        open_ports.append(listener.getsockname()[1])

    keep = []  # refused and silent sockets must stay open for the whole benchmark
    refused_ports = []
    for _ in range(refused_count):
        bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        bound.bind(("127.0.0.1", 0))
        keep.append(bound)
        refused_ports.append(bound.getsockname()[1])

    silent_ports = []
    for _ in range(silent_count):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler = socket.create_connection(("127.0.0.1", port), timeout=5)
        keep.extend([listener, filler])
        silent_ports.append(port)

    print(json.dumps({"open": open_ports, "refused": refused_ports, "silent": silent_ports}), flush=True)
    serve(selector)


if __name__ == "__main__":
    main()
