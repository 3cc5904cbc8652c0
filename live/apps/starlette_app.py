"""GET /test in Starlette (ASGI): the request's database work from db_async.
Served by uvicorn and by daphne; an exception becomes Starlette's 500."""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import db_async


async def test(request):
    return JSONResponse(await db_async.fetch_row())


app = Starlette(routes=[Route("/test", test)])
