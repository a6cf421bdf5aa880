"""The floor of the stack: CPU per request through gunicorn + Flask, beside Doorman's refusals.

Run: python -m bench.floor [--backend sqlite|mysql] [--workers 2] [--seconds 10]
     [--mysql-url URL] [--redis URL]

In the run style of bench/throughput.py (gunicorn sync workers, wrk at a concurrency of twice
the workers, CPU from the workers' /proc times), it measures four requests one after another:
(a) a bare Flask view returning a short string; (b) a bare Flask view inserting one row through
Flask-SQLAlchemy and committing it, on the same backend; (c) Doorman's API sign-in from a
blocked network (403) and (d) from an address past its rate limit (429), both for a locked
account so that none costs a hash; and, for scale, Doorman's cheapest request, (c0) its public
key (no database, but the app's hooks and the limiter's defaults). SQLite runs with Doorman's
pragmas (WAL, synchronous=NORMAL). It prints requests/s, p50 and CPU ms per request of each (the
workers', and on MariaDB the server's beside it):
what any refusal costs at least, whatever the application does. The MariaDB database
(--mysql-url or BENCH_MYSQL_URL) is emptied before and after; the Redis db (--redis or
BENCH_REDIS_URL) is flushed first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import redis

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
from bench.throughput import MYSQL_URL, REDIS_URL, cpu_seconds, lock, start_wrk, wrk_result
from config import DevelopmentConfig
from webapp import create_app

SCRIPT = ROOT / "bench" / "floor.lua"
LOCKED = f"user0000@{DOMAIN}"
BLOCKED_IP = BLOCKED_NETWORK.split("/")[0][:-1] + "7"  # an address inside the blocked network
LIMITED_IP = "192.0.2.9"  # past its sign-in rate limit after the warm-up


def floor_app():
    """The bare Flask app gunicorn serves for (a) and (b), on FLOOR_DATABASE_URL."""
    import sqlalchemy as sa
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["FLOOR_DATABASE_URL"]
    store = SQLAlchemy(app)
    rows = sa.Table(
        "floor_rows",
        store.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )

    @app.get("/api/health/")
    def bare():
        return "ok"

    @app.post("/row/")
    def row():
        store.session.execute(sa.insert(rows).values(email="a@example.org", ip="10.0.0.1"))
        store.session.commit()
        return "ok"

    @sa.event.listens_for(sa.engine.Engine, "connect")
    def pragmas(connection, record):
        """SQLite as Doorman runs it: WAL, one fsync per checkpoint, waits on locks."""
        if "sqlite" in type(connection).__module__:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                connection.execute(f"PRAGMA {pragma}")

    with app.app_context():
        store.create_all()
    return app


class Target(Node):
    """A gunicorn Node serving any WSGI target, not only Doorman's."""

    def __init__(self, name, env, workers, target):
        super().__init__(name, env, workers, threads=1)
        self.target = target

    def start(self, log: Path) -> None:
        """Start gunicorn on the target."""
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            *("--workers", str(self.workers), "--threads", "1"),
            *("--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--no-control-socket"),
            self.target,
        ]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )


def main() -> None:
    """Measure the four requests and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "mysql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--mysql-url", default=MYSQL_URL, help="a MariaDB database of its own")
    parser.add_argument("--redis", default=REDIS_URL, help="a Redis db of its own")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it first (apt-get install -y wrk)")
    server, _, database = args.mysql_url.rpartition("/")
    refuse_shared_stores(database, args.redis)
    redis.Redis.from_url(args.redis).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="doorman-floor-"))
    if args.backend == "mysql":
        url = args.mysql_url
        fresh_database(server, database)
    else:
        url = f"sqlite:///{folder / 'doorman.db'}"
    rows = {}
    load = [os.getloadavg()[0]]
    try:
        bare = Target(
            "bare",
            {**os.environ, "FLOOR_DATABASE_URL": url},
            args.workers,
            "bench.floor:floor_app()",
        )
        rows["(a) bare Flask view"] = serve(bare, folder, args, ["GET", "/api/health/", "-", "-"])
        rows["(b) bare view, one insert + commit"] = serve(
            bare, folder, args, ["POST", "/row/", "-", "-"], skip_start=True, stop=True
        )
        if args.backend == "mysql":
            fresh_database(server, database)
        app = create_app(
            DevelopmentConfig, INSTANCE_PATH=str(folder / "seed"), SQLALCHEMY_DATABASE_URI=url
        )
        seed(app, 0, (LOCKED,))
        lock(app, [LOCKED])
        env = node_env(url, folder, args.redis)
        node = Node("node", env, args.workers, threads=1)
        body = json.dumps({"email": LOCKED, "password": PASSWORD})
        rows["(c0) Doorman, its public key (200)"] = serve(
            node, folder, args, ["GET", "/api/user/public-key/", "-", "-"]
        )
        rows["(c) Doorman sign-in, blocked address (403)"] = serve(
            node, folder, args, ["POST", "/api/user/token/", BLOCKED_IP, body], skip_start=True
        )
        rows["(d) Doorman sign-in, rate-limited (429)"] = serve(
            node,
            folder,
            args,
            ["POST", "/api/user/token/", LIMITED_IP, body],
            skip_start=True,
            stop=True,
        )
    finally:
        for n in ("bare", "node"):
            target = locals().get(n)
            if target is not None and target.process is not None and target.process.poll() is None:
                target.stop()
        if args.backend == "mysql":
            fresh_database(server, database)
        shutil.rmtree(folder, ignore_errors=True)
    load.append(os.getloadavg()[0])
    report(args, rows, load)


def serve(node: Node, folder: Path, args, request: list[str], skip_start=False, stop=False) -> dict:
    """Warm up, then one measured wrk pass of `request`: its rate, p50 and worker CPU."""
    if not skip_start:
        node.start(folder / "gunicorn.log")
        node.wait()
    try:
        wrk(node, args, request, 3)  # imports, pools, and the rate limit used up
        before = cpu_seconds(node)
        result = wrk(node, args, request, args.seconds)
        used = {k: v - before[k] for k, v in cpu_seconds(node).items()}
    finally:
        if stop:
            node.stop()
    return {
        "requests/s": result["requests"] / result["seconds"],
        "p50 ms": result["p50"],
        "CPU ms per request": 1000 * used["workers"] / max(1, result["requests"]),
        # MariaDB's server (shared: whatever else runs on it counts too); SQLite runs in the workers
        "database CPU ms": max(0.0, 1000 * used["mariadbd"] / max(1, result["requests"]))
        if args.backend == "mysql"
        else 0.0,
        "statuses": result["statuses"],
    }


def wrk(node: Node, args, request: list[str], seconds: float) -> dict:
    """One wrk run of floor.lua at twice the workers' concurrency."""
    return wrk_result(start_wrk(node, SCRIPT, 2, 2 * args.workers, seconds, request))


def report(args, rows: dict, load: list[float]) -> None:
    """One line per request."""
    backend = "MariaDB" if args.backend == "mysql" else "SQLite"
    print(
        f"\n{backend}, {args.workers} sync gunicorn workers, concurrency {2 * args.workers}, "
        f"{args.seconds:.0f} s a pass, {os.cpu_count()} cores, load average (1 min) "
        f"{load[0]:.2f} at start, {load[1]:.2f} at end\n"
    )
    print(f"{'':44}{'requests/s':>12}{'p50 ms':>10}{'CPU ms/req':>12}{'database':>10}  statuses")
    for name, r in rows.items():
        print(
            f"{name:44}{r['requests/s']:>12.1f}{r['p50 ms']:>10.2f}"
            f"{r['CPU ms per request']:>12.2f}{r['database CPU ms']:>10.2f}  {r['statuses']}"
        )


if __name__ == "__main__":
    main()
