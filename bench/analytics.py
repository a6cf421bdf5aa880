"""Analytics at 10k, 100k and 1M attempts across 10,000 users, on SQLite and MariaDB.

Run: python -m bench.analytics [--sizes 10000,100000,1000000] [--backends sqlite,mysql]
Seeds each size with `seed_demo` (bulk inserts, 90 days), then times the personal dashboard
page and every analytics function, for one user and for everyone, over 30 and 90 days.
Prints medians and the ratio of the largest size to the smallest, measured in one run.
MariaDB: BENCH_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306/doorman_bench).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa

from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from webapp.services import analytics as an
from webapp.services.analytics import EVERYONE, Scope
from webapp.services.demo import seed_demo

MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/doorman_bench")


def _database_url(backend: str, folder: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder}/bench.db"
    server, _, name = MYSQL_URL.rpartition("/")
    engine = sa.create_engine(server + "/")
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    engine.dispose()
    return MYSQL_URL


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run(backend: str, size: int, users: int, repeat: int) -> tuple[float, dict[str, float]]:
    """Seed one database and time everything; returns (seed seconds, medians by name)."""
    folder = tempfile.mkdtemp(prefix="doorman-bench-")
    app = create_app(
        DevelopmentConfig,
        INSTANCE_PATH=folder,
        SQLALCHEMY_DATABASE_URI=_database_url(backend, folder),
        RATELIMIT_ENABLED=False,
        WTF_CSRF_ENABLED=False,
        MAIL_ECHO=False,
    )
    results: dict[str, float] = {}
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        summary = seed_demo(users, 90, size, rng=random.Random(42))
        db.session.commit()
        seed_seconds = time.perf_counter() - start
        person = db.session.execute(
            sa.select(User).where(User.username == "user00001")
        ).scalar_one()
        tz = an.viewer_timezone(person)
        today = an.today_in(tz)
        for days in (30, 90):
            window = an.Window(today - timedelta(days=days - 1), today, tz)
            for who, scope in (("one user", Scope.of(person.id)), ("everyone", EVERYONE)):
                for name, fn in (
                    ("stats", lambda s=scope, w=window: an.stats(s, w)),
                    ("trends", lambda s=scope, w=window: an.trends(s, w)),
                    ("comparison", lambda s=scope, w=window: an.comparison(s, w)),
                    ("distribution", lambda s=scope, w=window: an.distribution(s, w)),
                    ("activity page", lambda s=scope, w=window: an.activity(s, w)),
                ):
                    results[f"{name:<13} {who:<8} {days}d"] = _median_ms(fn, repeat)
                    db.session.rollback()
        email = person.email
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": summary.user_password})
    assert response.status_code == 302, response.status_code
    for days in (30, 90):
        start_date = (today - timedelta(days=days - 1)).isoformat()
        url = f"/dashboard/?start_date={start_date}&end_date={today.isoformat()}"
        assert client.get(url).status_code == 200
        results[f"dashboard page one user {days}d"] = _median_ms(
            lambda u=url: client.get(u), repeat
        )
    with app.app_context():
        db.engine.dispose()
    return seed_seconds, results


def main() -> None:
    """Run every backend and size, then print medians and ratios side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,mysql")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in args.backends.split(","):
        table: dict[int, dict[str, float]] = {}
        for size in sizes:
            seed_seconds, results = run(backend, size, args.users, args.repeat)
            table[size] = results
            print(
                f"[{backend}] seeded {size:>9,} attempts / {args.users:,} users "
                f"in {seed_seconds:6.1f} s",
                flush=True,
            )
        small, large = sizes[0], sizes[-1]
        header = " ".join(f"{s:>10,}" for s in sizes)
        print(f"\n[{backend}] median ms{'':<22}{header}   ratio {large:,}/{small:,}")
        for name in table[small]:
            row = " ".join(f"{table[s][name]:10.2f}" for s in sizes)
            print(f"  {name:<31}{row}   {table[large][name] / table[small][name]:6.2f}")
        print(flush=True)


if __name__ == "__main__":
    main()
