"""Command line: create-admin, seed-demo and the Makefile's run target."""

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.models import LoginAttempt, LoginDeviceStat, LoginStat, User


def test_create_admin_with_flags(runner, db):
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Root@Example.com",
            "--username",
            "rootadmin",
            "--password",
            "a-strong-admin-pass-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User)).scalar_one()
    assert (user.email, user.role, user.is_verified) == ("root@example.com", "admin", True)


def test_create_admin_prompts(runner, db):
    result = runner.invoke(
        args=["create-admin"],
        input="boss@example.com\nthe_boss\na-strong-admin-pass-1\na-strong-admin-pass-1\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(User.username)).scalar_one() == "the_boss"


def test_create_admin_refuses_a_weak_password(runner, db):
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "a@example.com",
            "--username",
            "admin1",
            "--password",
            "12345678",
        ]
    )
    assert result.exit_code == 1
    assert "too common" in result.output or "numeric" in result.output
    assert db.session.execute(select(User)).first() is None


def test_seeded_demo_accounts_can_log_in_through_the_web_form(app, runner):
    from tests.conftest import extract
    from tests.helpers import login

    result = runner.invoke(args=["seed-demo", "--users", "4", "--attempts", "20"])
    admin_password = extract(r"Demo admin: admin@example.org  password: (\S+)", result.output)
    user_password = extract(r"\.\.\.\): password (\S+)", result.output)
    client = app.test_client()
    assert login(client, "admin@example.org", admin_password).status_code == 302
    other = app.test_client()
    assert login(other, "user00001@example.org", user_password).status_code == 302


def test_seed_demo(runner, db):
    result = runner.invoke(
        args=["seed-demo", "--users", "12", "--days", "14", "--attempts", "3000", "--seed", "7"]
    )
    assert result.exit_code == 0, result.output
    assert "Demo admin: admin@example.org  password: " in result.output
    users = db.session.execute(select(User)).scalars().all()
    assert len(users) == 12
    assert {u.role for u in users} == {"admin", "staff", "user"}
    assert len({u.timezone for u in users}) >= 5
    total = db.session.scalar(select(func.count(LoginAttempt.id)))
    assert total >= 3000

    # The rollup agrees with the raw rows, per user and outcome.
    def sums(*where):
        return db.session.execute(
            select(func.sum(LoginStat.successes), func.sum(LoginStat.failures)).where(*where)
        ).one()

    s, f = sums(LoginStat.user_key >= 0)
    assert s + f == total
    assert sums(LoginStat.user_key == -1) == (s, f)
    devices = db.session.scalar(
        select(func.sum(LoginDeviceStat.attempts)).where(
            LoginDeviceStat.user_key == -1, LoginDeviceStat.span == "d"
        )
    )
    assert devices == total
    failures = db.session.scalar(select(func.count()).where(LoginAttempt.success.is_(False)))
    assert f == failures and 0 < failures < total / 4
    # The brute-force burst: many failures from one address.
    burst = db.session.scalar(select(func.count()).where(LoginAttempt.ip == "203.0.113.66"))
    assert burst >= 10
    # login_count matches the successful attempts of each user.
    for user in users:
        ok = db.session.scalar(
            select(func.count()).where(LoginAttempt.user_id == user.id, LoginAttempt.success)
        )
        assert user.login_count == ok
    # The admin password printed works.
    password = result.output.split("Demo admin: admin@example.org  password: ")[1].split()[0]
    from webapp.services.passwords import verify_password

    admin = db.session.execute(select(User).where(User.role == "admin")).scalar_one()
    assert verify_password(admin.password_hash, password)[0]


def test_seed_demo_if_empty_does_nothing_the_second_time(runner, db):
    first = runner.invoke(args=["seed-demo", "--users", "3", "--attempts", "10"])
    assert "password" in first.output
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already exist" in result.output
    assert "password" not in result.output  # the credentials are printed once, when created
    assert "demo_credentials.txt" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 3


@pytest.mark.parametrize(
    "env, address",
    [
        ({}, "--host 127.0.0.1 --port 5000"),
        ({"PORT": "8123", "HOST": "0.0.0.0"}, "--host 0.0.0.0 --port 8123"),
    ],
)
def test_make_run_serves_on_host_and_port_from_the_environment(env, address):
    root = Path(__file__).resolve().parent.parent
    # Also outside a make: under `make test` the parent's flags would print directories.
    outer = ("PORT", "HOST", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    clean = {k: v for k, v in os.environ.items() if k not in outer}
    plan = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"],
        cwd=root,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert plan.returncode == 0, plan.stderr
    commands = plan.stdout.splitlines()
    assert commands[-1].endswith(f"flask run {address}")
    assert any(line.endswith("flask assets build") for line in commands)
    # Only seed-demo prints the credentials, and only when it created them.
    assert not any("demo_credentials" in line for line in commands)


def test_seed_demo_from_code(app):
    import random

    from webapp.extensions import db
    from webapp.services.demo import seed_demo

    with app.app_context():
        calls = []
        summary = seed_demo(5, 3, 100, progress=calls.append, rng=random.Random(1))
        db.session.commit()
        assert summary.users == 5 and summary.attempts >= 100
        assert sum(calls) == summary.attempts


def test_stats_rebuild_repairs_the_rollups(runner, db):
    from sqlalchemy import delete, update

    runner.invoke(args=["seed-demo", "--users", "5", "--attempts", "400", "--seed", "3"])

    def snapshot():
        return sorted(
            db.session.execute(
                select(
                    LoginStat.user_key,
                    LoginStat.bucket_start,
                    LoginStat.successes,
                    LoginStat.failures,
                )
            ).all()
        )

    good = snapshot()
    unchanged = runner.invoke(args=["stats", "rebuild"])
    assert "0 added, 0 removed, 0 changed" in unchanged.output
    # Damage the rollups as a bad import would, then rebuild.
    db.session.execute(delete(LoginStat).where(LoginStat.user_key == -1))
    db.session.execute(update(LoginStat).where(LoginStat.user_key > 0).values(successes=99))
    db.session.execute(delete(LoginDeviceStat))
    db.session.commit()
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the rollups from 4" in result.output
    import re

    added, changed = map(
        int,
        re.search(
            r"stat rollup: \d+ rows; (\d+) added, 0 removed, (\d+) changed", result.output
        ).groups(),
    )
    assert added > 0 and changed > 0  # the everyone rows came back, the 99s were corrected
    db.session.expire_all()
    assert snapshot() == good
