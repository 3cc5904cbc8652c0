"""GET /test in aiohttp, run by gunicorn's aiohttp.GunicornUVLoopWebWorker.
The worker serves `app`; an exception becomes aiohttp's 500 response."""

from aiohttp import web

import db_async


async def test(request):
    return web.json_response(await db_async.fetch_row())


app = web.Application()
app.router.add_get("/test", test)
