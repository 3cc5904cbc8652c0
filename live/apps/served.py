"""Counts the requests each worker process serves, for the live runner.

The runner sets STACKSIM_SERVED_DIR; each worker process keeps its running
count in <dir>/<pid> as decimal text, rewritten in place with one pwrite at
offset 0 (the count only grows, so the text never shrinks and needs no
truncation). The runner reads every file before and after its measured
window. The file is opened once per process; the PID is checked on every
call because servers that fork from C (uWSGI) run no Python fork hooks.
Per request this costs a getpid and a pwrite, a few microseconds.
"""

import os

_DIR = os.environ.get("STACKSIM_SERVED_DIR", "")
_pid = None
_fd = -1
_count = 0


def count_request():
    """Adds one to this process's count (nothing when the runner did not ask)."""
    global _pid, _fd, _count
    if not _DIR:
        return
    pid = os.getpid()
    if pid != _pid:
        # A fork inherits the parent's fd and count: start a file of its own.
        _fd = os.open(os.path.join(_DIR, str(pid)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        _pid = pid
        _count = 0
    _count += 1
    os.pwrite(_fd, b"%d\n" % _count, 0)
