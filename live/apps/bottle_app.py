"""GET /test in Bottle (WSGI): the request's database work from db_wsgi, as JSON.
Bottle serialises a returned dict to JSON; an exception becomes its 500 page."""

import bottle

import db_wsgi

app = bottle.Bottle()


@app.get("/test")
def test():
    return db_wsgi.fetch_row()
