"""Database access for the coroutine apps (aiopg on asyncio), both modes.

aiopg connections are always in autocommit, so there is no commit call: the
two statements sent in one execute run as one implicit transaction, the
same work the sync apps commit. The hstore lookup aiopg runs by default on
every new connection is turned off, so a coroutine app sends the database
exactly the queries a sync app sends.
"""

import asyncio
import os

import aiopg

import served
import settings

if os.environ.get("STACKSIM_WORKER_TYPE", "coroutine") != "coroutine":
    raise ValueError("STACKSIM_WORKER_TYPE must be 'coroutine' for the asyncio apps, not "
                     f"{os.environ['STACKSIM_WORKER_TYPE']!r}")

_AIOPG_OPTIONS = {"enable_hstore": False}

# One pool per worker process, made on first use inside that process's loop.
_pool = None
_pool_lock = None


async def _get_pool():
    global _pool, _pool_lock
    if _pool is None:
        if _pool_lock is None:
            _pool_lock = asyncio.Lock()
        async with _pool_lock:
            if _pool is None:
                _pool = await aiopg.create_pool(
                    minsize=0, maxsize=settings.POOL_SIZE, **_AIOPG_OPTIONS, **settings.CONNECT_KWARGS
                )
    return _pool


async def _run_on(conn):
    async with conn.cursor() as cur:
        await cur.execute(settings.QUERY, settings.query_args())
        return await cur.fetchone()


async def fetch_row():
    """The request's database work; returns the response body as a dict.
    Any database error propagates, and the framework answers 500. Counted
    either way: a 500 is a request served (ab counts it as failed)."""
    try:
        if settings.DB_MODE == "pool":
            pool = await _get_pool()
            async with pool.acquire() as conn:
                row = await _run_on(conn)
        else:
            async with aiopg.connect(**_AIOPG_OPTIONS, **settings.CONNECT_KWARGS) as conn:
                row = await _run_on(conn)
    finally:
        served.count_request()
    if row is None:
        raise LookupError("no row for the key")
    return settings.row_to_json(row)
