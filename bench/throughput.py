"""Sign-in throughput against the hash limit: gunicorn, wrk, and bare argon2 on every core.

Run: python -m bench.throughput [--backend sqlite|mysql] [--workers 2] [--seconds 20]
     [--flood 20] [--mysql-url URL] [--redis URL]

Starts gunicorn (sync workers) on a fresh database (a SQLite file, or the MariaDB database
named by --mysql-url or BENCH_MYSQL_URL, emptied before and after) with N users at the
production argon2 cost, and drives right-password API sign-ins on distinct accounts at a
concurrency of twice the workers with wrk (Debian package `wrk`; this script installs
nothing) and `signin.lua`. Every account has signed in from the benchmark's client before
(a known device, today's new-sign-in alert sent), as in a steady state. In the same run it
measures what bare argon2 verifies reach on all cores at once: the hash limit. It prints
sign-ins/s, their share of that limit, the CPU per sign-in split into hash, worker and
database (from the /proc times of the gunicorn workers and of mariadbd; with SQLite the
database runs inside the workers), p50/p95/p99 and rows lost. With --flood F, a second pass
adds refused attempts (locked accounts, rate-limited and blocked addresses) at F times the
first pass's sign-in rate, from a second wrk with `flood.lua`, its own connections and a
fixed schedule, and prints what each refusal cost.
The rate limits live in a Redis db of the benchmark's own (--redis or BENCH_REDIS_URL,
flushed first). The MariaDB server is shared: its CPU includes whatever else runs on it
meanwhile.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import redis
import sqlalchemy as sa
from argon2 import PasswordHasher

from bench.common import (
    BLOCKED_NETWORK,
    DOMAIN,
    PASSWORD,
    ROOT,
    Node,
    fresh_database,
    node_env,
    refuse_shared_stores,
    seed,
)
from config import Config, DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.models import IpBlock, LoginAttempt, LoginLockout, SecurityEvent, User, utcnow
from webapp.services.alerts import NEW_SIGN_IN
from webapp.services.tracking import ua_facets

SIGN_INS = ROOT / "bench" / "signin.lua"
FLOOD = ROOT / "bench" / "flood.lua"
LOCKED = 50  # accounts locked for the flood, after the sign-in accounts
# The flood's connections per sign-in connection: enough that its schedule is not held back by
# latency, and that a server too busy to keep it (then every connection waits in its accept
# queue) still meets more than 20 refusals per sign-in.
FLOOD_CONNECTIONS = 25
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/doorman_tp")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
TICK = os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Measure one pass (two with --flood) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "mysql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=4)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--flood", type=float, default=0, help="refused attempts per sign-in")
    parser.add_argument("--mysql-url", default=MYSQL_URL, help="a MariaDB database of its own")
    parser.add_argument("--redis", default=REDIS_URL, help="a Redis db of its own")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it first (apt-get install -y wrk)")
    server, _, database = args.mysql_url.rpartition("/")
    refuse_shared_stores(database, args.redis)
    redis.Redis.from_url(args.redis).flushdb()  # the rate limits start afresh
    folder = Path(tempfile.mkdtemp(prefix="doorman-throughput-"))
    if args.backend == "mysql":
        url = args.mysql_url
        fresh_database(server, database)
    else:
        url = f"sqlite:///{folder / 'doorman.db'}"
    node = None
    try:
        app = create_app(
            DevelopmentConfig, INSTANCE_PATH=str(folder / "seed"), SQLALCHEMY_DATABASE_URI=url
        )
        locked = [f"user{args.users + i:04d}@{DOMAIN}" for i in range(LOCKED)]
        seed(app, args.users, tuple(locked))
        lock(app, locked)
        known_client(app)
        env = node_env(url, folder, args.redis)
        node = Node("node", env, args.workers, threads=1)
        node.start(folder / "gunicorn.log")
        node.wait()
        drive(node, args, args.warmup)  # imports, pools, caches
        passes = [measure(app, node, args)]
        if args.flood:
            passes.append(measure(app, node, args, passes[0]))
    finally:
        if node is not None:
            node.stop()
        if args.backend == "mysql":
            fresh_database(server, database)  # left empty: it may be a test database
        shutil.rmtree(folder, ignore_errors=True)
    report(args, passes)


def lock(app, emails: list[str]) -> None:
    """Lock the flood's accounts for a day, and block the flood's network."""
    with app.app_context():
        until = utcnow() + timedelta(days=1)
        db.session.add(
            IpBlock(cidr=BLOCKED_NETWORK, reason="bench", created_at=utcnow(), expires_at=until)
        )
        db.session.execute(
            sa.insert(LoginLockout),
            [
                {
                    "email": e,
                    "failures": 0,
                    "level": 1,
                    "locked_until": until,
                    "last_locked_at": until,
                }
                for e in emails
            ],
        )
        db.session.commit()
        db.engine.dispose()


def known_client(app) -> None:
    """Every account was alerted today to a sign-in from wrk (no user agent, no device cookie):
    the benchmark measures repeated sign-ins, not each account's first one of the day, which
    mails its owner once."""
    with app.app_context():
        device = "|".join(ua_facets(""))  # as alerts.Place names a client
        now = utcnow()
        db.session.execute(
            sa.insert(SecurityEvent),
            [
                {"kind": NEW_SIGN_IN, "user_id": i, "subject": f"{i}|{device}", "created_at": now}
                for i in db.session.scalars(sa.select(User.id))
            ],
        )
        db.session.commit()
        db.engine.dispose()


def _verifies(seconds: float) -> tuple[int, float]:
    ph = PasswordHasher(
        time_cost=Config.ARGON2_TIME_COST,
        memory_cost=Config.ARGON2_MEMORY_COST,
        parallelism=Config.ARGON2_PARALLELISM,
    )
    stored = ph.hash(PASSWORD)
    ph.verify(stored, PASSWORD)  # the first one allocates
    done, cpu, deadline = 0, time.process_time(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        ph.verify(stored, PASSWORD)
        done += 1
    return done, time.process_time() - cpu


def hash_limit(seconds: float = 3) -> tuple[float, float]:
    """CPU ms of one verify, and the verifies a second that all cores reach at once."""
    cores = os.cpu_count() or 1
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        results = pool.map(_verifies, [seconds] * cores)
    done = sum(n for n, _ in results)
    return 1000 * sum(cpu for _, cpu in results) / done, done / seconds


def drive(node: Node, args, seconds: float, flood_rate: float = 0) -> tuple[dict, dict | None]:
    """Sign-ins at 2x the workers (and the refused flood at flood_rate a second) for a while."""
    threads = 2
    accounts = [0, args.users, DOMAIN, PASSWORD, threads]
    legit = start_wrk(node, SIGN_INS, threads, 2 * args.workers, seconds, accounts)
    flood = None
    if flood_rate:
        flood = start_wrk(
            node,
            FLOOD,
            threads,
            FLOOD_CONNECTIONS * 2 * args.workers,
            seconds,
            [args.users, LOCKED, DOMAIN, PASSWORD, threads, flood_rate],
        )
    results = [wrk_result(p) for p in (legit, flood) if p is not None]
    return results[0], (results[1] if flood else None)


def start_wrk(
    node: Node, script: Path, threads: int, connections: int, seconds: float, arguments: list
) -> subprocess.Popen:
    """Start wrk with one of the bench's Lua scripts against the node."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://127.0.0.1:{node.port}",
        "--",
        *[str(a) for a in arguments],
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(process: subprocess.Popen) -> dict:
    """The RESULT line a script's done() prints (bench/results.lua)."""
    out, _ = process.communicate()
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    raise RuntimeError(f"wrk gave no result:\n{out}")


def measure(app, node: Node, args, alone: dict | None = None) -> dict:
    """One measured pass: throughput, latency, CPU split and rows lost, against the hash
    limit measured just before and just after it (the machine's other load drifts). Beside
    `alone` (the pass without the flood), the flood runs at args.flood times its sign-ins/s,
    and a refusal's CPU is what the pass used beyond its sign-ins at alone's cost each."""
    verify_before, limit_before = hash_limit()
    rows = attempt_rows(app)
    cpu = cpu_seconds(node)
    flood_rate = alone["sign-ins/s"] * args.flood if alone else 0
    legit, flood = drive(node, args, args.seconds, flood_rate)
    time.sleep(1)  # requests wrk gave up on at its deadline may still be answered
    used = {k: v - cpu[k] for k, v in cpu_seconds(node).items()}
    stored = attempt_rows(app) - rows
    verify_after, limit_after = hash_limit()
    verify_ms, limit = (verify_before + verify_after) / 2, (limit_before + limit_after) / 2
    sent = legit["requests"] + (flood["requests"] if flood else 0)
    signins = legit["statuses"].get("200", 0)
    rate = signins / legit["seconds"]
    worker_ms = 1000 * used["workers"] / max(1, signins)
    database = used["mariadbd"] if args.backend == "mysql" else 0.0  # SQLite: in the workers
    refused = flood["requests"] if flood else 0
    refusal_ms = 0.0
    if refused:
        beyond = used["workers"] + database - signins * alone["_cpu s per sign-in"]
        refusal_ms = 1000 * beyond / refused
    return {
        "flood": flood is not None,
        "hash limit (verifies/s)": limit,
        "sign-ins/s": rate,
        "share of the hash limit": rate / limit,
        "p50 ms": legit["p50"],
        "p95 ms": legit["p95"],
        "p99 ms": legit["p99"],
        # a verify's wall time with every core busy verifying, as the limit was measured
        "p95 in verifies": legit["p95"] / (1000 * (os.cpu_count() or 1) / limit),
        "CPU ms per sign-in: hash": verify_ms,
        "CPU ms per sign-in: worker": worker_ms - verify_ms,
        "CPU ms per sign-in: database": 1000 * database / max(1, signins),
        "_cpu s per sign-in": (used["workers"] + database) / max(1, signins),
        "refused attempts/s": (refused / flood["seconds"]) if flood else 0,
        "refused per sign-in": refused / max(1, signins),
        "CPU ms per refused attempt": refusal_ms,
        "sign-in statuses": legit["statuses"],
        "flood statuses": flood["statuses"] if flood else {},
        "socket errors": legit["socket_errors"] + (flood["socket_errors"] if flood else 0),
        "attempts answered": sent,
        "rows lost": max(0, sent - stored),
    }


def attempt_rows(app) -> int:
    """Attempt rows stored so far."""
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))
        db.session.rollback()
        return count


def cpu_seconds(node: Node) -> dict[str, float]:
    """User + system CPU seconds of the gunicorn workers and of mariadbd (0 if none)."""
    master = node.process.pid
    workers = mariadbd = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        if int(fields[1]) == master:
            workers += seconds
        elif name == "mariadbd":
            mariadbd += seconds
    return {"workers": workers, "mariadbd": mariadbd}


def report(args, passes: list[dict]) -> None:
    """The passes side by side."""
    backend = "MariaDB" if args.backend == "mysql" else "SQLite"
    print(
        f"\n{backend}, {args.workers} sync gunicorn workers, concurrency {2 * args.workers}, "
        f"{args.users} accounts, {args.seconds:.0f} s a pass, {os.cpu_count()} cores; the hash "
        "limit is bare verifies on all cores, measured before and after each pass\n"
    )
    names = ["sign-ins alone", f"beside {args.flood:g}x refused"][: len(passes)]
    width = max(len(k) for k in passes[0]) + 2
    print(f"{'':{width}}" + "".join(f"{n:>24}" for n in names))
    for key in passes[0]:
        if key == "flood" or key.startswith("_"):
            continue
        cells = []
        for result in passes:
            value = result[key]
            cells.append(f"{value:.2f}" if isinstance(value, float) else str(value))
        print(f"{key:{width}}" + "".join(f"{c:>24}" for c in cells))
    if len(passes) == 2:
        kept = passes[1]["sign-ins/s"] / passes[0]["sign-ins/s"]
        print(f"\nsign-ins kept under the flood: {kept:.2f} of their throughput alone")
        # The machine's other load moves the hash limit between the passes; shares do not.
        share = passes[1]["share of the hash limit"] / passes[0]["share of the hash limit"]
        print(f"... as shares of each pass's own hash limit: {share:.2f}")


if __name__ == "__main__":
    main()
