"""GET /test in Falcon (WSGI): the request's database work from db_wsgi, as JSON.
Falcon's default error handler turns an exception into a 500 response."""

import falcon

import db_wsgi


class TestResource:
    def on_get(self, req, resp):
        resp.media = db_wsgi.fetch_row()


app = falcon.App()
app.add_route("/test", TestResource())
