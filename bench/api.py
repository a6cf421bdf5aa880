"""API benchmarks at 1M attempts (10,000 users), measured side by side in one run.

Run: python -m bench.api [--attempts 1000000] [--backend sqlite|mysql]
- trends, comparison and distribution for 10 users over 90 days, through the API;
- batch statistics for 1,000 users, through the API;
- API login latency next to the bare argon2id verify, with the production parameters, timed on
  the same thread as the login's verify (see bench/argon2_baseline.py).
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
from bench.argon2_baseline import bare_verify
from config import DevelopmentConfig
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from webapp.services import analytics
from webapp.services.demo import seed_demo
from webapp.services.passwords import hasher


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Seed, then time the API calls and the login."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--logins", type=int, default=60)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="doorman-bench-api-")
    app = create_app(
        DevelopmentConfig,
        INSTANCE_PATH=folder,
        SQLALCHEMY_DATABASE_URI=_database_url(args.backend, folder),
        RATELIMIT_ENABLED=False,  # one client signs in many times; the lockout stays on
        MAIL_ECHO=False,
    )
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        summary = seed_demo(args.users, 90, args.attempts, rng=random.Random(7))
        db.session.commit()
        print(
            f"[{args.backend}] seeded {args.attempts:,} attempts / {args.users:,} users "
            f"in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        ids = list(
            db.session.execute(
                sa.select(User.id).where(User.role == "user").order_by(User.id).limit(1000)
            ).scalars()
        )
        tz = analytics.resolve_timezone("UTC")
        today = analytics.today_in(tz)
    client = app.test_client()
    login = client.post(
        "/api/user/token/", json={"email": summary.admin_email, "password": summary.admin_password}
    )
    assert login.status_code == 200, login.json
    headers = {"Authorization": f"Bearer {login.json['access']}"}
    dates = f"start_date={(today - timedelta(days=89)).isoformat()}&end_date={today.isoformat()}"
    ten = "&".join(f"user_ids[]={i}" for i in ids[:10])
    thousand = "&".join(f"user_ids[]={i}" for i in ids)
    results = {}
    for name, url in (
        ("trends, 10 users, 90 days", f"/api/user/dashboard/charts/trends/?{dates}&{ten}"),
        ("comparison, 10 users, 90 days", f"/api/user/dashboard/charts/comparison/?{dates}&{ten}"),
        (
            "distribution, 10 users, 90 days",
            f"/api/user/dashboard/charts/distribution/?{dates}&{ten}",
        ),
        ("batch stats, 1,000 users, 30 days", f"/api/user/admin/dashboard/users/stats/?{thousand}"),
    ):
        assert client.get(url, headers=headers).status_code == 200
        results[name] = _median_ms(lambda u=url: client.get(u, headers=headers), args.repeat)
    # Login latency next to the bare verify, interleaved.
    with app.app_context():
        ph = hasher()
        stored = ph.hash(summary.user_password)
    body = {"email": "user00001@example.org", "password": summary.user_password}
    logins, verifies = [], []
    for round_ in range(args.logins + 3):  # three warm-up rounds, as for every timing here
        start = time.perf_counter()
        response = client.post("/api/user/token/", json=body)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.json
        verify = bare_verify(ph, stored, summary.user_password)
        if round_ >= 3:
            logins.append(elapsed)
            verifies.append(verify)
    print(f"\n[{args.backend}] median ms at {args.attempts:,} attempts")
    for name, ms in results.items():
        print(f"  {name:<36}{ms:9.2f}")
    login_ms, verify_ms = statistics.median(logins) * 1000, statistics.median(verifies) * 1000
    print(f"  {'API login (POST token/)':<36}{login_ms:9.2f}")
    print(f"  {'bare argon2id verify':<36}{verify_ms:9.2f}  (on the login's own thread)")
    print(f"  API login / bare verify: {login_ms / verify_ms:.3f} (target < 1.3)")


if __name__ == "__main__":
    main()
