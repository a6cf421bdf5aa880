"""Analytics at 10k, 100k and 1M attempts across 10,000 users, on SQLite and MariaDB.

Run: python -m bench.analytics [--sizes 10000,100000,1000000] [--backends sqlite,mysql]
[--only 'top ']
Seeds one database per size with `seed_demo` (bulk inserts, 90 days), then times the
personal dashboard page and every analytics function, for one user and for everyone, over
30 and 90 days. The sizes are measured side by side: each round calls every size once, in
turn, so the machine's drift touches them alike. Prints medians and the ratio of the
largest size to the smallest.
MariaDB: BENCH_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306/doorman_bench), one
database per size with the size appended to its name.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from webapp.services import analytics as an
from webapp.services import failures
from webapp.services.analytics import EVERYONE, Scope
from webapp.services.demo import seed_demo

MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/doorman_bench")


def _database_url(backend: str, folder: str, suffix: str = "") -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder}/bench.db"
    server, _, name = MYSQL_URL.rpartition("/")
    name += suffix
    engine = sa.create_engine(server + "/")
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    engine.dispose()
    return f"{server}/{name}"


@dataclass
class Seeded:
    """One seeded database and what to time on it."""

    app: object
    seconds: float
    calls: dict = field(default_factory=dict)  # name -> callable (inside an app context)
    pages: dict = field(default_factory=dict)  # name -> URL of the dashboard page
    client: object = None


def seed(backend: str, size: int, users: int) -> Seeded:
    """Seed one database and list the calls to time."""
    folder = tempfile.mkdtemp(prefix="doorman-bench-")
    app = create_app(
        DevelopmentConfig,
        INSTANCE_PATH=folder,
        SQLALCHEMY_DATABASE_URI=_database_url(backend, folder, f"_{size}"),
        RATELIMIT_ENABLED=False,
        WTF_CSRF_ENABLED=False,
        MAIL_ECHO=False,
    )
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        summary = seed_demo(users, 90, size, rng=random.Random(42))
        db.session.commit()
        seeded = Seeded(app, time.perf_counter() - start)
        person = db.session.execute(
            sa.select(User).where(User.username == "user00001")
        ).scalar_one()
        tz = an.viewer_timezone(person)
        today = an.today_in(tz)
        email = person.email
        for days in (30, 90):
            window = an.Window(today - timedelta(days=days - 1), today, tz)
            for who, scope in (("one user", Scope.of(person.id)), ("everyone", EVERYONE)):
                for name, fn in (
                    ("stats", an.stats),
                    ("trends", an.trends),
                    ("comparison", an.comparison),
                    ("distribution", an.distribution),
                    ("activity page", an.activity),
                ):
                    seeded.calls[f"{name:<13} {who:<8} {days}d"] = lambda f=fn, s=scope, w=window: (
                        f(s, w)
                    )
            for name, kind in (("top IPs", failures.IP), ("top accounts", failures.EMAIL)):
                seeded.calls[f"{name:<13} everyone {days}d"] = lambda k=kind, w=window: (
                    failures.top_failures(w, k)
                )
            start_date = window.start.isoformat()
            seeded.pages[f"dashboard page one user {days}d"] = (
                f"/dashboard/?start_date={start_date}&end_date={today.isoformat()}"
            )
    seeded.client = app.test_client()
    response = seeded.client.post(
        "/auth/login", data={"email": email, "password": summary.user_password}
    )
    assert response.status_code == 302, response.status_code
    return seeded


def _call(seeded: Seeded, name: str):
    """One timed call: an analytics function in a fresh app context, or a page request."""
    if name in seeded.pages:
        return lambda: seeded.client.get(seeded.pages[name])

    def run():
        with seeded.app.app_context():
            seeded.calls[name]()
            db.session.rollback()

    return run


def measure(runs: list[Seeded], repeat: int) -> list[dict[str, float]]:
    """Median ms per name for each seeded database, the sizes interleaved round by round."""
    names = list(runs[0].calls) + list(runs[0].pages)
    medians: list[dict[str, float]] = [{} for _ in runs]
    for name in names:
        calls = [_call(seeded, name) for seeded in runs]
        for call in calls:
            call()  # warm caches and connections
        times: list[list[float]] = [[] for _ in runs]
        for _ in range(repeat):
            for i, call in enumerate(calls):
                start = time.perf_counter()
                call()
                times[i].append(time.perf_counter() - start)
        for i, series in enumerate(times):
            medians[i][name] = statistics.median(series) * 1000
    return medians


def main() -> None:
    """Seed every size of a backend, then time them side by side and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,mysql")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--only", default="", help="time only the names containing this text")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in args.backends.split(","):
        runs = []
        for size in sizes:
            runs.append(seed(backend, size, args.users))
            print(
                f"[{backend}] seeded {size:>9,} attempts / {args.users:,} users "
                f"in {runs[-1].seconds:6.1f} s",
                flush=True,
            )
        for seeded in runs:
            seeded.calls = {k: v for k, v in seeded.calls.items() if args.only in k}
            seeded.pages = {k: v for k, v in seeded.pages.items() if args.only in k}
        medians = measure(runs, args.repeat)
        small, large = 0, len(sizes) - 1
        header = " ".join(f"{s:>10,}" for s in sizes)
        print(f"\n[{backend}] median ms{'':<22}{header}   ratio {sizes[-1]:,}/{sizes[0]:,}")
        for name in medians[0]:
            row = " ".join(f"{m[name]:10.2f}" for m in medians)
            print(f"  {name:<31}{row}   {medians[large][name] / medians[small][name]:6.2f}")
        print(flush=True)
        for seeded in runs:
            with seeded.app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
