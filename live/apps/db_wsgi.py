"""Database access for the WSGI apps (psycopg2), sync or greenlet workers.

One function, fetch_row(), does the request's database work in either mode.
The pool is a list of idle connections guarded by a counting semaphore, so a
caller waits for a connection instead of failing (psycopg2.pool raises when
exhausted); greenlet workers pass gevent's semaphore, which yields instead of
blocking the process.
"""

import os
import threading

import psycopg2

import served
import settings

# The recipe says which kind of worker runs this module; a greenlet worker
# must have psycopg2 patched by psycogreen, or every query would block the
# whole process and the stack would silently behave like a sync one.
WORKER_TYPE = os.environ.get("STACKSIM_WORKER_TYPE", "sync")
if WORKER_TYPE not in ("sync", "greenlet"):
    raise ValueError(f"STACKSIM_WORKER_TYPE must be 'sync' or 'greenlet' for WSGI apps, not {WORKER_TYPE!r}")


class ConnectionPool:
    """At most `size` connections per worker process, opened lazily."""

    def __init__(self, size, semaphore):
        self.idle_ = []
        self.slots_ = semaphore

    def run(self, query, args):
        self.slots_.acquire()
        try:
            conn = self.idle_.pop() if self.idle_ else psycopg2.connect(**settings.CONNECT_KWARGS)
            try:
                row = _run_on(conn, query, args)
            except BaseException:
                conn.close()  # a failed connection is dropped, not reused
                raise
            self.idle_.append(conn)
            return row
        finally:
            self.slots_.release()


def _run_on(conn, query, args):
    with conn.cursor() as cur:
        cur.execute(query, args)
        row = cur.fetchone()
    conn.commit()
    return row


def _connect_and_run(query, args):
    conn = psycopg2.connect(**settings.CONNECT_KWARGS)
    try:
        return _run_on(conn, query, args)
    finally:
        conn.close()


_make_semaphore = threading.BoundedSemaphore
if WORKER_TYPE == "greenlet":
    import gevent.lock
    import gevent.monkey
    import psycogreen.gevent

    if not gevent.monkey.is_module_patched("socket"):
        raise RuntimeError("STACKSIM_WORKER_TYPE=greenlet but gevent has not patched this process")
    psycogreen.gevent.patch_psycopg()
    _make_semaphore = gevent.lock.BoundedSemaphore

# Module state is per worker process: created empty here, filled after fork.
_pool = ConnectionPool(settings.POOL_SIZE, _make_semaphore(settings.POOL_SIZE)) if settings.DB_MODE == "pool" else None


def fetch_row():
    """The request's database work; returns the response body as a dict.
    Any database error propagates, and the framework answers 500. Counted
    either way: a 500 is a request served (ab counts it as failed)."""
    try:
        if _pool is not None:
            row = _pool.run(settings.QUERY, settings.query_args())
        else:
            row = _connect_and_run(settings.QUERY, settings.query_args())
    finally:
        served.count_request()
    if row is None:
        raise LookupError("no row for the key")
    return settings.row_to_json(row)
