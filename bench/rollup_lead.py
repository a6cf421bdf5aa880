"""When a MariaDB sign-in writes everyone's rollup rows: as its password check ends, or after.

Run: python -m bench.rollup_lead [--backend mysql|sqlite] [--rounds N]
Every sign-in shares everyone's rollup rows, so their row locks queue sign-ins. The pipeline
starts those writes shortly before argon2 should finish (auth._lead), instead of after the
verdict. This times both ways side by side in one run (interleaved API logins, production
argon2id parameters), next to the bare verify on the login's worker thread, and how long
each holds the rows: from the start of the rollup writes to the commit. On SQLite the rows
go in at once either way (one write lock per database), so compare on MariaDB.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

from bench.analytics import _database_url
from bench.argon2_baseline import bare_verify
from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.services import auth
from webapp.services.demo import seed_demo
from webapp.services.passwords import Recent, hasher


def main() -> None:
    """Seed a little, then time both ways and print medians, ratios and hold times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="mysql")
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=100)  # even: each way leads as often
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="doorman-bench-lead-")
    app = create_app(
        DevelopmentConfig,
        INSTANCE_PATH=folder,
        SQLALCHEMY_DATABASE_URI=_database_url(args.backend, folder, "_lead"),
        RATELIMIT_ENABLED=False,
        MAIL_ECHO=False,
    )
    with app.app_context():
        db.create_all()
        summary = seed_demo(1_000, 30, args.attempts, rng=random.Random(7))
        db.session.commit()
        ph = hasher()
        stored = ph.hash(summary.user_password)

    ways = {"as the check ends": auth._lead, "after the verdict": lambda: None}
    estimates = {name: Recent() for name in ways}  # each way learns its own write time
    default_estimate = auth.ROLLUP_WRITES
    write_began: list[float] = []
    holds: dict[str, list[float]] = {name: [] for name in ways}
    now_timing: list[str] = []
    count_attempt = auth.count_attempt

    def timed_count(ctx) -> None:
        write_began.append(time.perf_counter())
        count_attempt(ctx)

    @event.listens_for(Session, "after_commit")
    def _held(_session) -> None:
        if write_began and now_timing:
            holds[now_timing[0]].append(time.perf_counter() - write_began.pop())

    auth.count_attempt = timed_count
    client = app.test_client()
    body = {"email": "user00001@example.org", "password": summary.user_password}
    latency: dict[str, list[float]] = {name: [] for name in ways}
    verifies = []
    for round_ in range(args.rounds + 3):  # three warm-up rounds
        # Alternate the order: a login right after the bare verify starts with cold caches.
        order = list(ways.items())[:: 1 if round_ % 2 else -1]
        for name, lead in order:
            auth._lead, auth.ROLLUP_WRITES, now_timing[:] = lead, estimates[name], [name]
            start = time.perf_counter()
            response = client.post("/api/user/token/", json=body)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.json
            if round_ >= 3:
                latency[name].append(elapsed)
            else:
                holds[name].clear()
        verifies.append(bare_verify(ph, stored, summary.user_password))
    auth._lead, auth.count_attempt = ways["as the check ends"], count_attempt
    auth.ROLLUP_WRITES = default_estimate

    verify = statistics.median(verifies)
    print(f"[{args.backend}] {args.rounds} interleaved rounds; bare verify {verify * 1000:.2f} ms")
    for name in ways:
        login = statistics.median(latency[name])
        hold = sorted(holds[name])
        print(
            f"  rollups {name:<18} login {login * 1000:6.2f} ms  "
            f"beyond argon2 {(login - verify) * 1000:5.2f} ms  ratio {login / verify:.3f}  "
            f"rows held {statistics.median(hold) * 1000:5.2f} ms (p90 "
            f"{hold[int(len(hold) * 0.9)] * 1000:5.2f})"
        )


if __name__ == "__main__":
    main()
