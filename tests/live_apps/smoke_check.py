#!/usr/bin/python3
"""Smoke check of the live stacks: every installable recipe in live/stacks.json,
started exactly as the runner starts it, against a real PostgreSQL + pgbouncer.

It stands up a throwaway PostgreSQL 15 cluster and a pgbouncer (session mode,
md5 auth from an auth_file) as the unprivileged `postgres` user on free
127.0.0.1 ports, loads a small test table, then for each stack and access mode:
starts the recipe's argv (placeholders substituted, own process group), checks
GET /test answers 200 with the right JSON for a row that exists, counts the
processes (W workers plus at most one master), runs a short bounded ab and
requires zero failed requests and no access-log growth, checks a database
error gives 500, and stops the group. Everything started is stopped by PID or
process group, on every exit path. Figures are a smoke check, not a benchmark.

    /usr/bin/python3 tests/live_apps/smoke_check.py [--stacks a,b] [--markdown FILE]
Exit status 0 when every checked stack passed, 1 otherwise, 2 on bad setup.
"""

import argparse
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_BIN = "/usr/lib/postgresql/15/bin"
DB_NAME = "stacksim"
DB_USER = "stacksim"
PG_OS_USER = "postgres"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def group_members(pgid):
    """PIDs whose process group is pgid (read from /proc/<pid>/stat)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is the state, [2] the process group; zombies do not count.
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def stop_group(proc, timeout_s=10.0):
    """SIGTERM to the process group, then SIGKILL if it is still there."""
    if proc is None:
        return
    for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while group_members(proc.pid) and time.monotonic() < deadline:
            proc.poll()  # reaps the leader; its orphaned children keep the group id
            time.sleep(0.1)
        if not group_members(proc.pid):
            break
    proc.wait()


class Database:
    """PostgreSQL 15 cluster + pgbouncer in session mode, both as `postgres`."""

    def __init__(self, run_dir, rows, pool_size):
        self.run_dir_ = run_dir
        self.rows_ = rows
        self.pool_size_ = pool_size
        self.pg_port_ = free_port()
        self.bouncer_port_ = free_port()
        self.password_ = "".join(random.SystemRandom().choice(string.ascii_letters) for _ in range(24))
        self.postgres_ = None
        self.bouncer_ = None
        self.table_ = {}
        user = pwd.getpwnam(PG_OS_USER)
        self.uid_, self.gid_ = user.pw_uid, user.pw_gid

    def _own(self, path):
        os.chown(path, self.uid_, self.gid_)

    def start(self):
        # Everything the postgres user writes lives in db/, which it owns.
        self.db_dir_ = os.path.join(self.run_dir_, "db")
        os.mkdir(self.db_dir_, 0o700)
        self._own(self.db_dir_)
        data = os.path.join(self.db_dir_, "pgdata")
        os.mkdir(data, 0o700)
        self._own(data)
        subprocess.run([f"{PG_BIN}/initdb", "-D", data, "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
                       user=PG_OS_USER, check=True, stdout=subprocess.DEVNULL, cwd="/")
        pg_log = open(os.path.join(self.run_dir_, "postgres.log"), "wb")  # opened by root, passed as fd
        self.postgres_ = subprocess.Popen(
            [f"{PG_BIN}/postgres", "-D", data, "-p", str(self.pg_port_), "-k", self.db_dir_,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
            user=PG_OS_USER, start_new_session=True, stdout=pg_log, stderr=pg_log, cwd="/")
        self._wait_for(self.pg_port_, "postgres")
        self._load()
        self._start_bouncer()

    def _wait_for(self, port, what):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                psycopg2.connect(host="127.0.0.1", port=port, dbname="postgres" if what == "postgres" else DB_NAME,
                                 user=DB_USER, password=self.password_).close()
                return
            except psycopg2.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"{what} did not accept connections on 127.0.0.1:{port} within 30 s")

    def _load(self):
        conn = psycopg2.connect(host="127.0.0.1", port=self.pg_port_, dbname="postgres", user=DB_USER)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"create database {DB_NAME}")
        conn.close()
        # The same shape the runner loads: keys 1..rows, b 20 random letters.
        rng = random.Random(20201)
        self.table_ = {a: "".join(rng.choice(string.ascii_lowercase) for _ in range(20))
                       for a in range(1, self.rows_ + 1)}
        path = os.path.join(self.run_dir_, "rows.tsv")
        with open(path, "w") as f:
            for a, b in self.table_.items():
                f.write(f"{a}\t{b}\n")
        conn = psycopg2.connect(host="127.0.0.1", port=self.pg_port_, dbname=DB_NAME, user=DB_USER)
        with conn.cursor() as cur, open(path) as f:
            cur.execute("create table test (a int primary key, b text)")
            cur.copy_from(f, "test", columns=("a", "b"))
            cur.execute("analyze test")
        conn.commit()
        conn.close()

    def _start_bouncer(self):
        ini = os.path.join(self.db_dir_, "pgbouncer.ini")
        users = os.path.join(self.db_dir_, "userlist.txt")
        self.pidfile_ = os.path.join(self.db_dir_, "pgbouncer.pid")
        with open(users, "w") as f:
            f.write(f'"{DB_USER}" "{self.password_}"\n')  # needed even with trust auth
        with open(ini, "w") as f:
            f.write(f"""[databases]
{DB_NAME} = host=127.0.0.1 port={self.pg_port_} dbname={DB_NAME}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.bouncer_port_}
unix_socket_dir =
auth_type = md5
auth_file = {users}
admin_users = {DB_USER}
pool_mode = session
default_pool_size = {self.pool_size_}
max_client_conn = 2000
logfile = {os.path.join(self.db_dir_, "pgbouncer.log")}
pidfile = {self.pidfile_}
log_connections = 0
log_disconnections = 0
""")
        for path in (ini, users):
            os.chmod(path, 0o600)
            self._own(path)
        self.bouncer_ = subprocess.Popen(["/usr/sbin/pgbouncer", ini], user=PG_OS_USER, start_new_session=True,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        self._wait_for(self.bouncer_port_, "pgbouncer")

    def app_env(self):
        return {
            "STACKSIM_DB_HOST": "127.0.0.1",
            "STACKSIM_DB_PORT": str(self.bouncer_port_),
            "STACKSIM_DB_NAME": DB_NAME,
            "STACKSIM_DB_USER": DB_USER,
            "STACKSIM_DB_PASSWORD": self.password_,
            "STACKSIM_ROWS": str(self.rows_),
        }

    def stop(self):
        if self.bouncer_ is not None:
            # pgbouncer is stopped through its pidfile (its own PID, not a wrapper's).
            try:
                with open(self.pidfile_) as f:
                    os.kill(int(f.read().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
            stop_group(self.bouncer_)
        if self.postgres_ is not None:
            stop_group(self.postgres_, timeout_s=20)


def substitute(value, values):
    for key, replacement in values.items():
        value = value.replace("{" + key + "}", replacement)
    if re.search(r"\{[a-z_]+\}", value):
        raise ValueError(f"unknown placeholder left in {value!r}")
    return value


def http_get(url, timeout_s=10):
    """(status, content type, body)"""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def run_ab(url, requests, concurrency):
    out = subprocess.run(["/usr/bin/ab", "-q", "-n", str(requests), "-c", str(concurrency), "-s", "30", url],
                         capture_output=True, text=True, timeout=300)
    figures = {"ab_status": out.returncode}
    for key, pattern in (("complete", r"Complete requests:\s+(\d+)"), ("failed", r"Failed requests:\s+(\d+)"),
                         ("non_2xx", r"Non-2xx responses:\s+(\d+)"), ("rps", r"Requests per second:\s+([\d.]+)"),
                         ("mean_ms", r"Time per request:\s+([\d.]+) \[ms\] \(mean\)")):
        m = re.search(pattern, out.stdout)
        figures[key] = float(m.group(1)) if m else (0 if key == "non_2xx" else None)
    if out.returncode != 0:
        figures["ab_error"] = out.stderr.strip()[-300:]
    return figures


class StackCheck:
    def __init__(self, name, recipe, args, db, run_dir):
        self.name_, self.recipe_, self.args_, self.db_, self.run_dir_ = name, recipe, args, db, run_dir

    def start(self, mode, db_port=None, delay_ms=None, extra_env=None):
        port = free_port()
        values = {"workers": str(self.args_.workers), "port": str(port), "backlog": str(self.args_.backlog),
                  "apps_dir": os.path.join(REPO, "live", "apps"), "run_dir": self.run_dir_,
                  "install_root": ""}  # the host's own / (the runner's prefix mode: docs/live.md)
        argv = [substitute(a, values) for a in self.recipe_["argv"]]
        # As the runner: a clean environment, and no __pycache__ left in the source tree by root.
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.run_dir_, "PYTHONDONTWRITEBYTECODE": "1"}
        env.update(self.db_.app_env())
        delay_ms = self.args_.delay_ms if delay_ms is None else delay_ms
        env.update({"STACKSIM_DELAY_MS": str(delay_ms), "STACKSIM_DB_MODE": mode,
                    "STACKSIM_POOL_SIZE": str(self.args_.pool_size)})
        if db_port is not None:
            env["STACKSIM_DB_PORT"] = str(db_port)
        env.update({k: substitute(v, values) for k, v in self.recipe_["env"].items()})
        env.update(extra_env or {})
        self.log_path_ = os.path.join(self.run_dir_, f"{self.name_}-{mode}.log")
        self.log_ = open(self.log_path_, "ab")
        self.proc_ = subprocess.Popen(argv, env=env, start_new_session=True, stdout=self.log_, stderr=self.log_,
                                      stdin=subprocess.DEVNULL, cwd=self.run_dir_)
        self.port_ = port
        self.url_ = f"http://127.0.0.1:{port}/test"

    def wait_ready(self, timeout_s=30):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc_.poll() is not None:
                raise RuntimeError(f"server exited with status {self.proc_.returncode}: {self.log_tail()}")
            if port_open(self.port_):
                try:
                    return http_get(self.url_)
                except (OSError, urllib.error.URLError):
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"no answer on {self.url_} within {timeout_s} s: {self.log_tail()}")

    def log_tail(self):
        self.log_.flush()
        with open(self.log_path_, "rb") as f:
            return f.read()[-600:].decode(errors="replace").strip().replace("\n", " | ")

    def log_lines(self):
        with open(self.log_path_, "rb") as f:
            return f.read().count(b"\n")

    def stop(self):
        started = time.monotonic()
        stop_group(getattr(self, "proc_", None))
        self.stop_s_ = time.monotonic() - started
        if getattr(self, "log_", None):
            self.log_.close()
        if getattr(self, "port_", None) and port_open(self.port_):
            raise RuntimeError(f"port {self.port_} still open after stopping the group")

    def check_body(self, status, content_type, body):
        if status != 200:
            raise RuntimeError(f"GET /test answered {status}: {body[:200]!r}")
        if not content_type.startswith("application/json"):
            raise RuntimeError(f"Content-Type {content_type!r}, want application/json")
        doc = json.loads(body)
        if set(doc) != {"a", "b"} or not re.fullmatch(r"\d{10}", doc["a"]):
            raise RuntimeError(f"bad JSON shape: {doc}")
        a = int(doc["a"])
        if self.db_.table_.get(a) != doc["b"]:
            raise RuntimeError(f"row {a} answered b={doc['b']!r}, table has {self.db_.table_.get(a)!r}")
        return a

    def count_processes(self):
        """W workers plus at most one master, once all workers are up."""
        want = self.args_.workers
        deadline = time.monotonic() + 10
        count = 0
        while time.monotonic() < deadline:
            count = len(group_members(self.proc_.pid))
            if count >= want:
                break
            time.sleep(0.2)
        time.sleep(0.5)
        count = len(group_members(self.proc_.pid))
        if not want <= count <= want + 1:
            raise RuntimeError(f"{count} processes in the group, want {want} workers plus at most one master")
        return count

    def check_libraries(self):
        """The event loop and parser the recipe names are really loaded in
        every worker (read from /proc/<pid>/maps), not silently replaced."""
        wanted = {"python3-uvloop": "/uvloop/loop.", "python3-httptools": "/httptools/parser/",
                  "python3-gevent": "/gevent/"}
        needles = [n for p, n in wanted.items() if p in self.recipe_["packages"]]
        members = group_members(self.proc_.pid)
        workers = [p for p in members if p != self.proc_.pid] if len(members) > self.args_.workers else members
        for pid in workers:
            with open(f"/proc/{pid}/maps") as f:
                maps = f.read()
            for needle in needles:
                if needle not in maps:
                    raise RuntimeError(f"worker {pid} has not loaded {needle.strip('/.')}")

    def check_listener(self):
        """Listening on 127.0.0.1 only, with the backlog asked for: ss shows a
        listening socket's accept-queue limit in its Send-Q column (uWSGI's
        own default of 100 would overflow at 400 clients)."""
        out = subprocess.run(["ss", "-Hltn", f"sport = :{self.port_}"], capture_output=True, text=True, check=True)
        with open("/proc/sys/net/core/somaxconn") as f:
            want = min(self.args_.backlog, int(f.read()))
        lines = [line.split() for line in out.stdout.splitlines() if line.strip()]
        if not lines:
            raise RuntimeError(f"ss shows no listener on port {self.port_}")
        for fields in lines:
            if not fields[3].startswith("127.0.0.1:"):
                raise RuntimeError(f"listening on {fields[3]}, want 127.0.0.1 only")
            if int(fields[2]) != want:
                raise RuntimeError(f"listen backlog {fields[2]}, want {want}")

    def check_bad_setting(self):
        """A bad STACKSIM_* value stops the server at start-up (the app fails
        to import), so the runner sees a dead server, not a run of 500s. The
        exit status is the server's: hypercorn's master exits 0 when its
        workers die, and gunicorn's may take its 30 s graceful timeout."""
        try:
            started = time.monotonic()
            self.start("connect", extra_env={"STACKSIM_DB_MODE": "bogus"})
            try:
                self.proc_.wait(timeout=45)
            except subprocess.TimeoutExpired:
                return {"bad_setting_ok": False, "bad_setting": "server still running 45 s after a bad setting"}
            return {"bad_setting_ok": True,
                    "bad_setting": f"exit {self.proc_.returncode} after {time.monotonic() - started:.1f} s"}
        except Exception as err:  # noqa: BLE001
            return {"bad_setting_ok": False, "bad_setting": str(err)}
        finally:
            self.stop()

    def check_overlap(self):
        """Whether a worker overlaps database waits, from throughput alone.
        With delay D = 100 ms per request and W workers, a sync stack can do
        at most W / D requests per second; ab -n 100 -c 50 must stay under
        that bound. A greenlet or coroutine stack holds many requests per
        worker, so it must reach at least twice the bound."""
        delay_s = 0.1
        bound_rps = self.args_.workers / delay_s
        try:
            self.start("connect", delay_ms=delay_s * 1000)
            self.wait_ready()
            figures = run_ab(self.url_, 100, 50)
            if figures["ab_status"] != 0 or figures["failed"] or figures["non_2xx"]:
                return {"overlap_ok": False, "overlap_check": f"ab failed: {figures}"}
            rps = figures["rps"]
            if self.recipe_["type"] == "sync":
                ok = rps <= bound_rps * 1.05
            else:
                ok = rps >= 2 * bound_rps
            return {"overlap_rps": rps, "overlap_bound_rps": bound_rps, "overlap_ok": ok}
        except Exception as err:  # noqa: BLE001
            return {"overlap_ok": False, "overlap_check": str(err)}
        finally:
            self.stop()

    def check(self, mode):
        result = {"stack": self.name_, "mode": mode}
        try:
            self.start(mode)
            keys = {self.check_body(*self.wait_ready())}
            for _ in range(19):
                keys.add(self.check_body(*http_get(self.url_)))
            if len(keys) < 2:
                raise RuntimeError("20 requests all read the same key: the key is not random")
            result["processes"] = self.count_processes()
            self.check_libraries()
            self.check_listener()
            lines_before = self.log_lines()
            result.update(run_ab(self.url_, self.args_.requests, self.args_.concurrency))
            grown = self.log_lines() - lines_before
            if result["ab_status"] != 0 or result["complete"] != self.args_.requests:
                raise RuntimeError(f"ab did not complete: {result.get('ab_error', '')}")
            if result["failed"] or result["non_2xx"]:
                raise RuntimeError(f"ab saw {result['failed']:.0f} failed, {result['non_2xx']:.0f} non-2xx")
            if grown > self.args_.requests // 10:
                raise RuntimeError(f"server log grew by {grown} lines during ab: is an access log on?")
            result["ok"] = True
        except Exception as err:  # noqa: BLE001 -- any failure is this stack's result
            result["ok"] = False
            result["error"] = str(err)
        finally:
            try:
                self.stop()
                result["stop_s"] = round(self.stop_s_, 2)
            except RuntimeError as err:
                result["ok"] = False
                result["error"] = str(err)
        return result

    def check_error_answer(self):
        """With the database unreachable (a closed port), /test must answer 500."""
        try:
            self.start("connect", db_port=free_port())
            status = self.wait_ready()[0]
            return {"error_status": status, "error_ok": status == 500}
        except Exception as err:  # noqa: BLE001
            return {"error_status": None, "error_ok": False, "error_check": str(err)}
        finally:
            self.stop()


def versions(packages):
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *packages],
                         capture_output=True, text=True)
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)


def markdown(results, stacks, args, load_avg):
    header = (f"Smoke check, not a benchmark: `ab -n {args.requests} -c {args.concurrency}` once per stack and mode, "
              f"straight at the app server (no nginx), {args.workers} workers, delay {args.delay_ms:g} ms, "
              f"{args.rows} rows, app pool size {args.pool_size}, on a noisy 2-core machine shared with other work "
              f"(load average {load_avg[0]:.1f} at the start). Overlap: req/s of `ab -n 100 -c 50` at 100 ms delay, "
              f"against the sync bound W/D = {args.workers / 0.1:g} req/s. DB down: status of /test with the "
              f"database port closed.\n\n")
    rows = ["| stack | type | Debian packages (version) | connect: req/s, failed | pool: req/s, failed "
            "| overlap req/s | processes | DB down |",
            "|---|---|---|---|---|---|---|---|"]
    by_stack = {}
    for r in results:
        by_stack.setdefault(r["stack"], {})[r["mode"]] = r
    for name, modes in by_stack.items():
        recipe = stacks[name]
        v = versions(recipe["packages"])
        pkgs = ", ".join(f"{p} {v.get(p, '?')}" for p in recipe["packages"])

        def cell(mode):
            r = modes.get(mode)
            if r is None:
                return "not run"
            if not r["ok"]:
                return "FAILED: " + r.get("error", "")[:80].replace("|", "/")
            return f"{r['rps']:.0f}, {r['failed']:.0f}"
        connect = modes.get("connect", {})
        overlap = f"{connect['overlap_rps']:.0f}" if connect.get("overlap_rps") else "not run"
        procs = "/".join(str(r.get("processes", "?")) for r in modes.values())
        err = connect.get("error_status", "not run")
        rows.append(f"| {name} | {recipe['type']} | {pkgs} | {cell('connect')} | {cell('pool')} | {overlap} "
                    f"| {procs} | {err} |")
    return header + "\n".join(rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", help="comma-separated names (default: every installable stack)")
    parser.add_argument("--quick", action="store_true",
                        help="one stack of each type (gunicorn-flask, gunicorn-gevent-flask, uvicorn-starlette), "
                             "mode connect: about a minute, for CI")
    parser.add_argument("--modes", default="connect,pool")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=128)
    parser.add_argument("--delay-ms", type=float, default=1.0)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--pool-size", type=int, default=4, help="app-side pool per worker (mode pool)")
    parser.add_argument("--sessions", type=int, default=100, help="pgbouncer's server sessions (< 200)")
    parser.add_argument("--no-error-check", action="store_true")
    parser.add_argument("--no-overlap-check", action="store_true")
    parser.add_argument("--markdown", help="write the results table here")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.requests > 20000 or args.concurrency > 400:
        parser.error("keep the smoke check bounded: --requests <= 20000, --concurrency <= 400")
    if not 1 <= args.sessions <= 190:
        parser.error("--sessions must be in 1..190 (postgres is started with max_connections=200)")

    with open(os.path.join(REPO, "live", "stacks.json")) as f:
        stacks = json.load(f)["stacks"]
    if args.quick:
        args.stacks = args.stacks or "gunicorn-flask,gunicorn-gevent-flask,uvicorn-starlette"
        args.modes = "connect"
    names = args.stacks.split(",") if args.stacks else [n for n, s in stacks.items() if s["installable"]]
    for name in names:
        if name not in stacks:
            log(f"smoke_check: no stack {name!r} in live/stacks.json")
            return 2
        if not stacks[name]["installable"]:
            log(f"smoke_check: {name} is not installable: {stacks[name]['reason']}")
            return 2
        missing = sorted(set(stacks[name]["packages"]) - set(versions(stacks[name]["packages"])))
        if missing:
            log(f"smoke_check: {name} needs Debian packages {' '.join(missing)} (scripts/install-deps.sh)")
            return 2
    if os.geteuid() != 0:
        log("smoke_check: run as root (PostgreSQL and pgbouncer are started as the postgres user)")
        return 2

    load_avg = os.getloadavg()
    run_dir = tempfile.mkdtemp(prefix="stacksim-smoke-")
    os.chmod(run_dir, 0o755)  # the postgres user reaches its data directory and socket inside
    db = Database(run_dir, args.rows, pool_size=args.sessions)
    results = []
    interrupted = []

    def on_signal(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        db.start()
        for name in names:
            for mode in args.modes.split(","):
                r = StackCheck(name, stacks[name], args, db, run_dir).check(mode)
                if mode == "connect" and not args.no_error_check:
                    r.update(StackCheck(name, stacks[name], args, db, run_dir).check_error_answer())
                    if not r["error_ok"]:
                        r["ok"] = False
                        r.setdefault("error", f"DB down answered {r['error_status']}, want 500")
                if mode == "connect" and not args.no_error_check:
                    r.update(StackCheck(name, stacks[name], args, db, run_dir).check_bad_setting())
                    if not r["bad_setting_ok"]:
                        r["ok"] = False
                        r.setdefault("error", f"bad setting: {r['bad_setting']}")
                if mode == "connect" and not args.no_overlap_check:
                    r.update(StackCheck(name, stacks[name], args, db, run_dir).check_overlap())
                    if not r["overlap_ok"]:
                        r["ok"] = False
                        r.setdefault("error", f"overlap check: {r.get('overlap_rps')} req/s against "
                                              f"W/D = {r.get('overlap_bound_rps')} {r.get('overlap_check', '')}")
                results.append(r)
                figures = f"{r['rps']:.0f} req/s, {r['failed']:.0f} failed" if r.get("rps") else ""
                log(f"{'ok  ' if r['ok'] else 'FAIL'} {name:24} {mode:8} {figures} {r.get('error', '')}")
    except KeyboardInterrupt:
        log("smoke_check: interrupted, stopping everything")
    finally:
        db.stop()
        shutil.rmtree(run_dir, ignore_errors=True)

    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(results, stacks, args, load_avg))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    passed = sum(r["ok"] for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) and results and not interrupted else 1


if __name__ == "__main__":
    sys.exit(main())
