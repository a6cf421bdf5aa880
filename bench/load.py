"""One app node, then two, under the same mixed load, on one MariaDB database and one Redis.

Run: python -m bench.load [--seconds 30] [--clients 8] [--workers 2]

Each phase starts its gunicorn nodes on free ports (sharing the secret key and the RSA key
through files, the database `doorman_load`, created and dropped here, and a Redis db), seeds
users with the production argon2 parameters, and drives the nodes in turn with API sign-ins
(right password, wrong password, unknown email, one victim hammered into the lockout) and
dashboard reads with tokens. Then it checks, on the database: one attempt row per sign-in
sent, rollups equal to a rebuild from the raw rows, login_count equal to the successes,
exactly LOCKOUT_THRESHOLD counted failures for the victim (the lockout is shared), the
per-IP limit shared across nodes, and refresh rotation across nodes. It prints throughput,
p50/p95 and rows lost side by side.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.common import (
    DOMAIN,
    PASSWORD,
    Node,
    drop_database,
    refuse_shared_stores,
    request,
    reset_stores,
    seed,
    shared_secrets,
)
from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.models import LoginAttempt, User
from webapp.services.tracking import rebuild_rollups

VICTIM = f"victim@{DOMAIN}"
LIMIT_IP = "203.0.113.7"  # the address that checks the shared per-IP limit
LOGIN_LIMIT = 10  # RATELIMIT_LOGIN per minute, the default
THRESHOLD = 5  # LOCKOUT_THRESHOLD, the default
# What one simulated client does next, with its weight.
MIX = [("right", 30), ("wrong", 20), ("unknown", 15), ("victim", 10), ("read", 25)]


@dataclass
class Tally:
    """What the clients sent and how long it took."""

    logins_sent: int = 0  # sign-in requests that got an answer
    errors: int = 0  # requests that got no answer, or a 5xx
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, took: float, status: int, login: bool) -> None:
        """Count one answered request."""
        with self.lock:
            self.latencies.append(took)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.logins_sent += login
            self.errors += status >= 500


def sign_in(port: int, email: str, password: str, tally: Tally, ip: str) -> tuple[int, dict]:
    """POST token/ from a client address; counted as one attempt sent."""
    begun = time.perf_counter()
    try:
        status, body = request(
            port,
            "POST",
            "/api/user/token/",
            {"email": email, "password": password},
            {"X-Forwarded-For": ip},
        )
    except OSError:
        with tally.lock:
            tally.errors += 1
            tally.logins_sent += 1  # it may have reached the node: a missing row is "lost"
        return 0, {}
    tally.add(time.perf_counter() - begun, status, login=True)
    return status, body


def client_loop(ports, users, readers, deadline: float, tally: Tally, seed: int) -> None:
    """One simulated client: mixed requests on the nodes in turn until the deadline."""
    rng = random.Random(seed)
    actions, weights = zip(*MIX, strict=True)
    turn = seed
    while time.monotonic() < deadline:
        turn += 1
        port = ports[turn % len(ports)]
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        action = rng.choices(actions, weights)[0]
        if action == "right":
            sign_in(port, rng.choice(users), PASSWORD, tally, ip)
        elif action == "wrong":
            sign_in(port, rng.choice(users), "not-the-password", tally, ip)
        elif action == "unknown":
            sign_in(port, f"nobody{rng.randrange(10**6)}@{DOMAIN}", PASSWORD, tally, ip)
        elif action == "victim":
            sign_in(port, VICTIM, "guessing-" + str(rng.randrange(10**6)), tally, ip)
        else:
            begun = time.perf_counter()
            try:
                status, _ = request(
                    port,
                    "GET",
                    "/api/user/dashboard/stats/",
                    headers={"Authorization": f"Bearer {rng.choice(readers)}"},
                )
            except OSError:
                with tally.lock:
                    tally.errors += 1
                continue
            tally.add(time.perf_counter() - begun, status, login=False)


def run_phase(nodes: int, args, folder: Path, shared: dict[str, str]) -> dict:
    """Seed, start the nodes, drive them, stop them, and check the database."""
    url = f"{args.server}/{args.database}"
    reset_stores(args.server, args.database, args.redis)
    app = create_app(
        DevelopmentConfig, INSTANCE_PATH=str(folder / "seed"), SQLALCHEMY_DATABASE_URI=url
    )
    users = seed(app, args.users, (VICTIM,))
    env = {
        **os.environ,
        "DOORMAN_ENV": "production",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": args.redis,
        "TRUSTED_PROXY_COUNT": "1",
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_BACKEND": "console",
        "MAIL_ECHO": "0",
        **shared,
    }
    started = [
        Node(f"node{i + 1}", env | {"INSTANCE_PATH": str(folder / f"node{i + 1}")}, args.workers)
        for i in range(nodes)
    ]
    tally = Tally()
    checks: dict[str, bool] = {}
    try:
        for node in started:
            node.start(folder / f"{node.name}.log")
        for node in started:
            node.wait()
        ports = [node.port for node in started]
        readers = []
        for i, email in enumerate(users[: args.clients]):
            status, body = sign_in(ports[i % nodes], email, PASSWORD, tally, f"10.255.0.{i + 1}")
            assert status == 200, body
            readers.append(body["access"])
        tally.latencies.clear()
        begun = time.monotonic()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(ports, users, readers, begun + args.seconds, tally, n),
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - begun
        answered = len(tally.latencies)
        checks["rate limit shared"] = shared_limit(ports, tally)
        checks["refresh rotates across nodes"] = refresh_across(ports, users[-1], tally)
    finally:
        for node in started:
            node.stop()
    checks.update(verify(app, tally.logins_sent))
    with app.app_context():
        db.engine.dispose()
    latencies = sorted(tally.latencies[:answered])
    return {
        "nodes": nodes,
        "requests": answered,
        "throughput": answered / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "errors": tally.errors,
        "statuses": dict(sorted(tally.statuses.items())),
        **checks,
    }


def shared_limit(ports: list[int], tally: Tally) -> bool:
    """One address signs in LOGIN_LIMIT + 2 times over the nodes in turn: the limit counts
    them together, so exactly the last two are refused."""
    statuses = [
        sign_in(ports[i % len(ports)], f"limit{i}@{DOMAIN}", "x", tally, LIMIT_IP)[0]
        for i in range(LOGIN_LIMIT + 2)
    ]
    return statuses.count(429) == 2 and statuses[-2:] == [429, 429]


def refresh_across(ports: list[int], email: str, tally: Tally) -> bool:
    """A refresh token rotated on one node works on the other, and so on."""
    status, pair = sign_in(ports[0], email, PASSWORD, tally, "10.254.0.1")
    if status != 200:
        return False
    for i in range(1, 5):
        status, pair = request(
            ports[i % len(ports)], "POST", "/api/user/token/refresh/", {"refresh": pair["refresh"]}
        )
        if status != 200:
            return False
    return True


def verify(app, sent: int) -> dict:
    """The database after the load: nothing lost, nothing counted twice."""
    with app.app_context():
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))
        changes = rebuild_rollups()
        db.session.rollback()  # compare only: the rollups stay as the nodes wrote them
        successes = dict(
            db.session.execute(
                sa.select(LoginAttempt.user_id, sa.func.count())
                .where(LoginAttempt.success.is_(True))
                .group_by(LoginAttempt.user_id)
            ).all()
        )
        counts = dict(db.session.execute(sa.select(User.id, User.login_count)).all())
        victim_failures = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.email_tried == VICTIM, LoginAttempt.reason == "bad_credentials")
        )
    changed = sum(
        changes[f"{name}_rows_{what}"]
        for name in ("stat", "device")
        for what in ("added", "removed", "changed")
    )
    return {
        "attempts sent": sent,
        "attempt rows": rows,
        "rows lost": sent - rows,
        "rollup rows changed by a rebuild": changed,
        "login_count exact": all(counts[u] == successes.get(u, 0) for u in counts),
        "victim failures counted": victim_failures,
        "lockout shared": victim_failures == THRESHOLD,
    }


def main() -> None:
    """Run one node, then two, and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--server", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument("--database", default="doorman_load")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    refuse_shared_stores(args.database, args.redis)
    folder = Path(tempfile.mkdtemp(prefix="doorman-load-"))
    try:
        shared = shared_secrets(folder)
        results = [run_phase(n, args, folder, shared) for n in (1, 2)]
    finally:
        drop_database(args.server, args.database)
        shutil.rmtree(folder, ignore_errors=True)
    report(results, args)


def report(results: list[dict], args) -> None:
    """The two phases side by side."""
    print(
        f"\n{args.clients} clients for {args.seconds:.0f} s per phase, {args.workers} gunicorn "
        f"workers per node, argon2 defaults, MariaDB + Redis\n"
    )
    width = max(len(k) for k in results[0]) + 2
    print(f"{'':{width}}{'one node':>18}{'two nodes':>18}")
    for key in results[0]:
        if key in ("nodes", "statuses"):
            continue
        cells = []
        for result in results:
            value = result[key]
            if key == "throughput":
                cells.append(f"{value:.1f} req/s")
            elif key in ("p50", "p95"):
                cells.append(f"{value:.0f} ms")
            else:
                cells.append(str(value))
        print(f"{key:{width}}" + "".join(f"{c:>18}" for c in cells))
    for result in results:
        print(f"statuses with {result['nodes']} node(s): {result['statuses']}")


if __name__ == "__main__":
    main()
