"""Runs daphne with W worker processes sharing one listening socket.

daphne has no workers option (one process, Twisted on asyncio). This launcher
binds 127.0.0.1:PORT with the requested backlog, then forks exactly W
children that exec daphne on the inherited descriptor (--fd), so the stack
has W workers plus this process as master, like the other servers. It stops
the children when it gets SIGTERM/SIGINT or when any child exits.

    /usr/bin/python3 daphne_launcher.py --workers W --port P --backlog B APP
"""

import os
import signal
import socket
import sys

import launcher_args

DAPHNE = "/usr/bin/daphne"


def main():
    parser = launcher_args.launcher_parser(__doc__.splitlines()[0])
    parser.add_argument("app", help="module:attribute of the ASGI app")
    args = launcher_args.parse(parser)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(args.backlog)
    listener.set_inheritable(True)
    # -v 0: no access log (daphne logs every request at verbosity 1).
    argv = [DAPHNE, "--fd", str(listener.fileno()), "-v", "0", args.app]

    children = set()
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            try:
                os.execv(DAPHNE, argv)
            finally:
                os._exit(127)
        children.add(pid)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while children:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:  # a worker died on its own: take the others down too
            status = 1
            print(f"daphne_launcher: worker {pid} exited (wait status {wait_status})", file=sys.stderr)
            stop(None, None)
    sys.exit(status)


if __name__ == "__main__":
    main()
