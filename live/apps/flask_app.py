"""GET /test in Flask (WSGI): the request's database work from db_wsgi, as JSON.
Sync or greenlet depends on the server (see STACKSIM_WORKER_TYPE in db_wsgi)."""

import flask

import db_wsgi

app = flask.Flask(__name__)


@app.route("/test")
def test():
    # An exception becomes Flask's 500 response.
    return flask.jsonify(db_wsgi.fetch_row())
