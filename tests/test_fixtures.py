"""The test fixtures themselves: safe under the parallel requests that concurrency tests make."""

import sys
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from webapp.models import User


def test_db_fixture_syncs_safely_from_parallel_requests(app, db, user_factory):
    """The db fixture commits its session around every request; 20 threads at once must not
    commit it concurrently (IllegalStateChangeError). Threads switch as often as possible,
    so that the race shows at once if the fixture ever lets two commits overlap."""
    user_factory()
    db.session.execute(select(User)).scalars().all()  # the session holds rows and a transaction

    def hit(i):
        return app.test_client().get("/auth/login").status_code

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(hit, range(400)))
    finally:
        sys.setswitchinterval(interval)
    assert codes == [200] * 400
