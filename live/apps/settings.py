"""Settings every stacksim app reads from its environment, and the one query.

The live runner passes the database address, the pg_sleep delay, the table
size and the access mode as STACKSIM_* variables (see live/stacks.json and
docs/stacks.md); every app, whatever its framework, does the same work with
them, so the only thing that differs between stacks is the server.
"""

import os
import random

DB_HOST = os.environ.get("STACKSIM_DB_HOST", "127.0.0.1")
DB_PORT = int(os.environ.get("STACKSIM_DB_PORT", "6432"))
DB_NAME = os.environ.get("STACKSIM_DB_NAME", "stacksim")
DB_USER = os.environ.get("STACKSIM_DB_USER", "stacksim")
DB_PASSWORD = os.environ.get("STACKSIM_DB_PASSWORD", "")
DELAY_S = float(os.environ.get("STACKSIM_DELAY_MS", "0")) / 1000.0
ROWS = int(os.environ.get("STACKSIM_ROWS", "1000000"))
# "connect": a new connection through pgbouncer per request (the article's);
# "pool": at most POOL_SIZE connections kept per worker process (Paterson's).
DB_MODE = os.environ.get("STACKSIM_DB_MODE", "connect")
POOL_SIZE = int(os.environ.get("STACKSIM_POOL_SIZE", "4"))

if DB_MODE not in ("connect", "pool"):
    raise ValueError(f"STACKSIM_DB_MODE must be 'connect' or 'pool', not {DB_MODE!r}")
if ROWS < 1 or POOL_SIZE < 1 or DELAY_S < 0:
    raise ValueError("STACKSIM_ROWS and STACKSIM_POOL_SIZE must be >= 1, STACKSIM_DELAY_MS >= 0")

# Both statements go in one execute, so one round trip; the row is the result
# of the last one. Parameters are interpolated client side by psycopg2.
QUERY = "select pg_sleep(%s); select a, b from test where a = %s"

# Keyword arguments rather than a DSN string: libpq quotes them itself.
CONNECT_KWARGS = {
    "host": DB_HOST,
    "port": DB_PORT,
    "dbname": DB_NAME,
    "user": DB_USER,
    "password": DB_PASSWORD,
}

_seeded_pid = None


def random_key():
    """A key in 1..ROWS. Reseeded once per process: servers that fork from C
    (uWSGI) would otherwise give every worker the same sequence."""
    global _seeded_pid
    pid = os.getpid()
    if pid != _seeded_pid:
        random.seed()
        _seeded_pid = pid
    return random.randint(1, ROWS)


def query_args():
    return (DELAY_S, random_key())


def row_to_json(row):
    """The response body as a dict: a zero-filled to 10 digits, as the article."""
    a, b = row
    return {"a": str(a).zfill(10), "b": b}
