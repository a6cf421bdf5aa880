"""Database down: every request answers 503 with Retry-After (JSON under /api/, HTML
elsewhere), the login attempts of that time are spooled on disk and written back exactly
once (rollups included) when the database returns, without a restart."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import PASSWORD, csrf_token, login, make_user
from tests.private_services import private_mariadb  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.hooks import REPLAY_PAUSE_SECONDS
from webapp.models import LoginAttempt, ReplayedAttempt

pytestmark = pytest.mark.faults


def _spooled(app) -> list[dict]:
    folder = Path(app.instance_path) / "attempt-spool"
    return [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def _attempts(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(LoginAttempt.email_tried, LoginAttempt.reason, LoginAttempt.user_id)
        ).all()
        return sorted((tuple(r) for r in rows), key=repr)


def _assert_rollups_match_attempts(app) -> None:
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    for line in result.output.splitlines()[1:]:
        assert "0 added, 0 removed, 0 changed" in line, result.output


def _outage_requests(app, client, victim) -> tuple:
    """What the outage's requests need, taken while the database is up: a form token, an
    API client and its bearer header."""
    token = csrf_token(client)  # the form's token lives in the cookie session: no database
    api = app.test_client()
    access = api.post("/api/user/token/", json={"email": victim.email, "password": PASSWORD})
    assert access.status_code == 200
    bearer = {"Authorization": f"Bearer {access.json['access']}"}
    return token, api, bearer


def _check_outage(app, client, victim, token, api, bearer) -> None:
    """Pages, API calls and sign-ins while the database is down: 503 + Retry-After each."""
    html = [
        client.get("/dashboard/"),
        client.post(
            "/auth/login", data={"csrf_token": token, "email": victim.email, "password": "wrong"}
        ),
        client.post(
            "/auth/login", data={"csrf_token": token, "email": "ghost@example.com", "password": "x"}
        ),
    ]
    for r in html:
        assert r.status_code == 503 and r.mimetype == "text/html", r.status_code
        # 5 s, or later when a rate-limit window ends later (Flask-Limiter keeps the later).
        assert int(r.headers["Retry-After"]) >= 5
        assert "Temporarily unavailable" in r.get_data(as_text=True)
    as_json = [
        api.get("/api/user/dashboard/stats/", headers=bearer),
        api.post("/api/user/token/", json={"email": victim.email, "password": PASSWORD}),
    ]
    for r in as_json:
        assert r.status_code == 503 and r.is_json and int(r.headers["Retry-After"]) >= 5
        assert set(r.json) >= {"error", "detail"}
    health = api.get("/api/health/")
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    assert health.json["status"] == "down"
    assert health.json["checks"]["database"]["status"] == "down"


def _check_replayed(app, client, victim, before: list[tuple]) -> None:
    time.sleep(REPLAY_PAUSE_SECONDS)  # a process retries the spool at most once a second
    assert client.get("/").status_code == 200  # the first request that finds the database
    assert _spooled(app) == []
    added = _attempts(app)
    for row in before:
        added.remove(row)
    assert sorted(added, key=repr) == sorted(
        [
            (victim.email, "error", victim.id),
            (victim.email, "error", victim.id),
            ("ghost@example.com", "error", None),
        ],
        key=repr,
    )
    _assert_rollups_match_attempts(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReplayedAttempt)) == 3


@pytest.fixture
def sqlite_app(app_factory, tmp_path):
    """An app whose SQLite file sits in a folder the test can take away."""
    folder = tmp_path / "data"
    folder.mkdir()
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'doorman.db'}", _keep_data=True)
    with app.app_context():
        db.create_all()  # SQLite even when the suite runs on MariaDB
    return app


def _take_away(app, folder: Path) -> None:
    """A lost volume: the file's folder is gone and pooled connections are closed."""
    folder.rename(folder.with_name("away"))
    with app.app_context():
        db.engine.dispose()


def test_sqlite_outage_answers_503_and_replays_the_attempts_once(sqlite_app, tmp_path):
    app = sqlite_app
    with app.app_context():
        victim = make_user()
    client = app.test_client()
    assert login(client, victim.email).status_code == 302
    token, api, bearer = _outage_requests(app, client, victim)
    before = _attempts(app)

    _take_away(app, tmp_path / "data")
    _check_outage(app, client, victim, token, api, bearer)
    spooled = _spooled(app)
    assert len(spooled) == 3 and len({r["id"] for r in spooled}) == 3
    assert [p.name for p in (Path(app.instance_path) / "attempt-spool").glob("*.jsonl")] == [
        "attempts.jsonl"  # the failed replays of the outage took no file
    ]
    kept = tmp_path / "kept"
    shutil.copytree(Path(app.instance_path) / "attempt-spool", kept)

    (tmp_path / "away").rename(tmp_path / "data")
    _check_replayed(app, client, victim, before)
    assert login(client, victim.email).status_code == 302  # recovered without a restart

    # A replay cut short after its commit (before the file was deleted) runs again: the
    # attempts it wrote are skipped, nothing counts twice.
    for path in kept.glob("*.jsonl"):
        shutil.copy(path, Path(app.instance_path) / "attempt-spool" / path.name)
    result = app.test_cli_runner().invoke(args=["spool", "replay"])
    assert "Replayed 0 attempts; 3 were already written" in result.output
    assert len(_attempts(app)) == len(before) + 3 + 1
    _assert_rollups_match_attempts(app)


def test_two_replayers_never_run_at_once(sqlite_app, tmp_path):
    app = sqlite_app
    folder = Path(app.instance_path) / "attempt-spool"
    folder.mkdir(parents=True)
    (folder / "attempts.jsonl").write_text(
        json.dumps(
            {
                "id": "5a1d3c2e-0000-4000-8000-000000000001",
                "started_at": "2026-11-30T05:00:00",
                "email": "a@example.com",
                "success": False,
                "reason": "error",
                "method": "password",
                "ip": "10.0.0.1",
                "user_agent": "",
            }
        )
        + "\n{torn"
    )
    fd = os.open(folder / "replay.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another replayer is at work
        busy = app.test_cli_runner().invoke(args=["spool", "replay"])
        assert "Another replay is running" in busy.output
        assert _attempts(app) == []
    finally:
        os.close(fd)
    done = app.test_cli_runner().invoke(args=["spool", "replay"])
    assert "Replayed 1 attempts; 0 were already written, 1 lines unreadable" in done.output
    assert _attempts(app) == [("a@example.com", "error", None)]
    _assert_rollups_match_attempts(app)


def test_mariadb_killed_and_restarted(app_factory, private_mariadb):  # noqa: F811
    app = app_factory(
        SQLALCHEMY_DATABASE_URI=private_mariadb.url,
        RATELIMIT_STORAGE_URI="memory://",
        _keep_data=True,
    )
    with app.app_context():
        db.create_all()
        victim = make_user()
    client = app.test_client()
    assert login(client, victim.email).status_code == 302
    token, api, bearer = _outage_requests(app, client, victim)
    before = _attempts(app)

    private_mariadb.kill()
    _check_outage(app, client, victim, token, api, bearer)
    assert len(_spooled(app)) == 3

    private_mariadb.start()  # same data folder and port: a crash restart
    _check_replayed(app, client, victim, before)
    assert login(client, victim.email).status_code == 302  # recovered without a restart
    assert api.get("/api/user/dashboard/stats/", headers=bearer).status_code == 200
