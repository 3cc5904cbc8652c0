"""The command line of the launchers that bind the listening socket and fork
the workers themselves (tornado_app.py, daphne_launcher.py):
--workers W --port P --backlog B [--host H], checked the same way in both.
"""

import argparse


def launcher_parser(description):
    """The launcher's options; the caller may add its own before parse()."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=128)
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def parse(parser):
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    return args
