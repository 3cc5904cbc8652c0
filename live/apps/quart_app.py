"""GET /test in Quart (ASGI, Flask's API on asyncio): the request's database
work from db_async. Served by uvicorn and by hypercorn."""

import quart

import db_async

app = quart.Quart(__name__)


@app.route("/test")
async def test():
    return quart.jsonify(await db_async.fetch_row())
