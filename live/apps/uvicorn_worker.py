"""uvicorn's worker under gunicorn's process manager, for the uvicorn-* stacks.

`uvicorn --workers W` spawns its workers through multiprocessing, which also
starts a resource-tracker process, so the group is W + 2 processes, not W plus
one master. Under gunicorn it is exactly master + W, with the same uvicorn
server in each worker. The loop and parser are named, not "auto", so a missing
uvloop or httptools fails loudly instead of silently falling back to asyncio
or the slower h11; the access log is off.
"""

import uvicorn.workers


class UvicornWorker(uvicorn.workers.UvicornWorker):
    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "access_log": False}
