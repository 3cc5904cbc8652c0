"""GET /test in Tornado, and its multi-process launcher (Tornado has no
separate server command). The parent binds the socket with the requested
backlog, forks exactly --workers children that share it, and waits on them;
each child runs Tornado on uvloop. The access log is off (no-op log_function).

    /usr/bin/python3 tornado_app.py --workers W --port P --backlog B
"""

import asyncio

import tornado.httpserver
import tornado.netutil
import tornado.process
import tornado.web
import uvloop

import db_async
import launcher_args


class TestHandler(tornado.web.RequestHandler):
    async def get(self):
        # write(dict) sends JSON; an exception becomes Tornado's 500 response.
        self.write(await db_async.fetch_row())


def make_app():
    return tornado.web.Application([(r"/test", TestHandler)], log_function=lambda handler: None)


async def serve(sockets):
    server = tornado.httpserver.HTTPServer(make_app())
    server.add_sockets(sockets)
    await asyncio.Event().wait()


def main():
    args = launcher_args.parse(launcher_args.launcher_parser(__doc__.splitlines()[0]))
    sockets = tornado.netutil.bind_sockets(args.port, address=args.host, backlog=args.backlog)
    # Returns in each child; the parent stays inside, restarting crashed children.
    tornado.process.fork_processes(args.workers)
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(serve(sockets))


if __name__ == "__main__":
    main()
