"""aiohttp's gunicorn worker (uvloop), keeping gunicorn's --backlog.

aiohttp's worker hands gunicorn's listening socket to web.SockSite, which
listens on it again with its own default backlog of 128, so --backlog was
silently lost (400 clients would overflow it). This worker makes SockSite use
gunicorn's backlog; everything else is aiohttp's GunicornUVLoopWebWorker.
"""

import aiohttp.web
import aiohttp.worker


class GunicornUVLoopWebWorker(aiohttp.worker.GunicornUVLoopWebWorker):
    def init_process(self):
        backlog = self.cfg.backlog
        base = aiohttp.web.SockSite

        class SockSite(base):
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("backlog", backlog)
                super().__init__(*args, **kwargs)

        # aiohttp.worker looks SockSite up through the web module at run time;
        # this is the worker process, which runs nothing else.
        aiohttp.web.SockSite = SockSite
        super().init_process()
