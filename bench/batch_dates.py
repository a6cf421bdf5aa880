"""Batch statistics with dates: 30 days next to 90 days, measured side by side in one run.

Run: python -m bench.batch_dates [--attempts 50000] [--users 500] [--backend sqlite|mysql]
Seeds `seed_demo` over 90 days, then times `GET /api/user/admin/dashboard/users/stats/` for
10 users with no dates (everything recorded), an explicit 30-day range and an explicit
90-day range, and the same for 1,000 users. The calls alternate round by round
so the machine's drift touches them alike. Prints medians and the 90/30 ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.analytics import _database_url
from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from webapp.services import analytics
from webapp.services.demo import seed_demo

URL = "/api/user/admin/dashboard/users/stats/"


def main() -> None:
    """Seed, then time the batch statistics for each window, interleaved."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--many", type=int, default=1000, help="users of the large batch (0: skip)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="doorman-bench-batch-")
    app = create_app(
        DevelopmentConfig,
        INSTANCE_PATH=folder,
        SQLALCHEMY_DATABASE_URI=_database_url(args.backend, folder),
        RATELIMIT_ENABLED=False,
        MAIL_ECHO=False,
    )
    with app.app_context():
        db.create_all()
        summary = seed_demo(args.users, 90, args.attempts, rng=random.Random(7))
        db.session.commit()
        ids = list(
            db.session.execute(
                sa.select(User.id).where(User.role == "user").order_by(User.id).limit(args.many)
            ).scalars()
        )
        today = analytics.today_in(analytics.resolve_timezone("UTC"))
    client = app.test_client()
    login = client.post(
        "/api/user/token/", json={"email": summary.admin_email, "password": summary.admin_password}
    )
    assert login.status_code == 200, login.json
    headers = {"Authorization": f"Bearer {login.json['access']}"}

    def dates(days: int) -> str:
        start = (today - timedelta(days=days - 1)).isoformat()
        return f"&start_date={start}&end_date={today.isoformat()}"

    ten = "&".join(f"user_ids[]={i}" for i in ids[:10])
    many = "&".join(f"user_ids[]={i}" for i in ids)
    urls = {
        "10 users, no dates": f"{URL}?{ten}",
        "10 users, 30 days": f"{URL}?{ten}{dates(30)}",
        "10 users, 90 days": f"{URL}?{ten}{dates(90)}",
    }
    if args.many:
        urls[f"{len(ids):,} users, no dates"] = f"{URL}?{many}"
        urls[f"{len(ids):,} users, 30 days"] = f"{URL}?{many}{dates(30)}"
        urls[f"{len(ids):,} users, 90 days"] = f"{URL}?{many}{dates(90)}"
    times: dict[str, list[float]] = {name: [] for name in urls}
    for url in urls.values():  # warm caches and connections
        assert client.get(url, headers=headers).status_code == 200
    for _ in range(args.repeat):
        for name, url in urls.items():
            start = time.perf_counter()
            client.get(url, headers=headers)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"\n[{args.backend}] {args.attempts:,} attempts / {args.users:,} users over 90 days")
    print(f"  {'median ms':<28}{'':>10}")
    for name, ms in medians.items():
        print(f"  {name:<28}{ms:10.2f}")
    print(f"  90/30 days, 10 users: {medians[list(urls)[2]] / medians[list(urls)[1]]:.2f}")
    if args.many:
        names = list(urls)
        print(f"  90/30 days, {len(ids):,} users: {medians[names[5]] / medians[names[4]]:.2f}")


if __name__ == "__main__":
    main()
