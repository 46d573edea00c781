"""Healthy loopback targets for the round-capacity benchmark, in their own process so the prober is not charged for them.

Usage: targets.py ADDRESS_COUNT PORTS_PER_ADDRESS. Listens on ADDRESS_COUNT addresses 127.0.0.1, 127.0.0.2, …
(Linux routes all of 127.0.0.0/8 to lo), PORTS_PER_ADDRESS kernel-chosen ports on each. Prints one JSON line
{"targets": [[host, port], ...]} when ready, serves until stdin closes (the benchmark exiting ends it too), then exits.

Many (address, port) destinations, because a loopback connection is one 4-tuple: a round of tens of thousands of
connections to one listener would run the prober out of ephemeral ports (~28,000, each then in TIME_WAIT for 60 s);
spread over hundreds of destinations the same source port is reusable for each of them.

Every connection is accepted and closed when the client closes it (as a real server would); the listen backlog is
the kernel's maximum, so a moment's delay in accepting never drops a SYN (which would cost the client a 1 s
retransmit and look like the prober being slow).
"""
import json
import os
import selectors
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from accept_loop import serve  # noqa: E402  (the shared loop lives beside the TypeScript bench helpers)


def main() -> None:
    address_count, ports_per_address = (int(a) for a in sys.argv[1:3])
    selector = selectors.DefaultSelector()
    targets = []
    for a in range(address_count):
        host = f"127.0.0.{a + 1}"
        for _ in range(ports_per_address):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, 0))
            listener.listen(socket.SOMAXCONN)
            listener.setblocking(False)
            selector.register(listener, selectors.EVENT_READ, "listener")
            targets.append([host, listener.getsockname()[1]])

    print(json.dumps({"targets": targets}), flush=True)
    serve(selector)


if __name__ == "__main__":
    main()
