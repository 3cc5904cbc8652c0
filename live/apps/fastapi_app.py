"""GET /test in FastAPI (ASGI, on Starlette): the request's database work
from db_async. FastAPI serialises the returned dict; an exception is a 500."""

import fastapi

import db_async

app = fastapi.FastAPI()


@app.get("/test")
async def test():
    return await db_async.fetch_row()
