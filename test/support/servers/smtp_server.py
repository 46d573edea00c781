"""A real SMTP server with STARTTLS for the probe tests: aiosmtpd (Debian python3-aiosmtpd) on a loopback port.

Usage: smtp_server.py PORT CERT_FILE KEY_FILE. Prints READY once accepting; stops on SIGTERM/SIGINT.
"""
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    """Accepts and drops every message: the probes only speak EHLO and STARTTLS."""

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def main() -> None:
    port, cert_file, key_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        ident="portquorum-test ESMTP",
        tls_context=context,
        require_starttls=False,
    )
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("READY", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
