"""The serving loop the benchmarks' Python target processes share: accept on every listener, close each connection
when its client is done, return when stdin closes (the benchmark exiting ends the targets too)."""
import selectors
import sys


def serve(selector: selectors.BaseSelector) -> None:
    """Serves listeners registered with data "listener" until stdin closes."""
    selector.register(sys.stdin, selectors.EVENT_READ, "stdin")
    while True:
        for key, _ in selector.select():
            if key.data == "stdin":
                if not sys.stdin.buffer.read1(4096):
                    return
            elif key.data == "listener":
                while True:
                    try:
                        conn, _ = key.fileobj.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        # EMFILE and the like: leave the rest queued for the next turn rather than die mid-run.
                        break
                    conn.setblocking(False)
                    selector.register(conn, selectors.EVENT_READ, "conn")
            else:
                # EOF, data or reset: the probe is done with this connection either way.
                selector.unregister(key.fileobj)
                key.fileobj.close()
