"""Flask commands: create-admin, seed-demo, stats rebuild, spool replay, purge, mail-worker,
mfa-rotate-key."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import User
from webapp.services import auth
from webapp.services.demo import DEMO_DOMAIN, seed_demo
from webapp.services.tracking import rebuild_rollups


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt=True, help="Email address of the admin.")
@click.option("--username", prompt=True, help="Username (4-32 characters).")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Password."
)
def create_admin(email: str, username: str, password: str) -> None:
    """Create a verified admin account (flags, or prompts for what is missing)."""
    errors = auth.registration_errors(username, email, password, password)
    if errors:
        for field, messages in errors.items():
            for message in messages:
                click.echo(f"{field}: {message}", err=True)
        raise SystemExit(1)
    user = auth.create_user(username, email, password, role="admin", verified=True, source="cli")
    db.session.commit()
    click.echo(f"Admin {user.email} created (id {user.id}).")


@click.command("seed-demo")
@with_appcontext
@click.option("--users", default=25, show_default=True, help="How many users in all.")
@click.option("--days", default=30, show_default=True, help="How many days of history.")
@click.option("--attempts", default=5000, show_default=True, help="How many login attempts.")
@click.option("--seed", type=int, default=None, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
def seed_demo_command(users: int, days: int, attempts: int, seed: int | None, if_empty: bool):
    """Create demo users and realistic login attempts with bulk inserts."""
    import random

    if if_empty and db.session.scalar(select(func.count(User.id))):
        saved = Path(current_app.instance_path) / "demo_credentials.txt"
        click.echo("Users already exist; demo data not seeded.")
        if saved.exists():
            click.echo(f"The demo credentials are kept in {saved}.")
        return
    with click.progressbar(length=attempts, label="Seeding login attempts") as bar:
        summary = seed_demo(users, days, attempts, progress=bar.update, rng=random.Random(seed))
        db.session.commit()
    lines = [
        f"Demo data: {summary.users} users, {summary.attempts} login attempts.",
        f"Demo admin: {summary.admin_email}  password: {summary.admin_password}",
        f"Other demo users (staff@{DEMO_DOMAIN}, user00001@{DEMO_DOMAIN}, ...): "
        f"password {summary.user_password}",
    ]
    _save_credentials("\n".join(lines) + "\n")
    for line in lines:
        click.echo(line)


@click.group("stats")
def stats_group() -> None:
    """Login statistics maintenance."""


@stats_group.command("rebuild")
@with_appcontext
def stats_rebuild() -> None:
    """Recompute the rollups from the raw attempts (after an import or a restore)."""
    changes = rebuild_rollups()
    db.session.commit()
    click.echo(f"Rebuilt the rollups from {changes['attempts']} attempts.")
    for name in ("stat", "device", "failure", "country"):
        click.echo(
            f"{name} rollup: {changes[f'{name}_rows']} rows; "
            f"{changes[f'{name}_rows_added']} added, {changes[f'{name}_rows_removed']} removed, "
            f"{changes[f'{name}_rows_changed']} changed."
        )


@click.group("spool")
def spool_group() -> None:
    """The attempts kept on disk while the database was down."""


@spool_group.command("replay")
@with_appcontext
def spool_replay() -> None:
    """Write the spooled attempts back to the database, each exactly once."""
    from webapp.services import spool

    report = spool.replay()
    if report.busy:
        click.echo("Another replay is running; nothing done.")
        return
    click.echo(
        f"Replayed {report.written} attempts; {report.skipped} were already written, "
        f"{report.unreadable} lines unreadable."
    )


def _save_credentials(text: str) -> None:
    """Keep the demo credentials in the instance folder (mode 0600) for later reference."""
    path = Path(current_app.instance_path) / "demo_credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def register_cli(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(stats_group)
    app.cli.add_command(spool_group)
    app.cli.add_command(purge_command)
    app.cli.add_command(mail_worker_command)
    app.cli.add_command(mfa_rotate_key)


@click.command("purge")
@click.option(
    "--retention-days",
    type=int,
    default=None,
    help="Keep attempts this many days (default: ATTEMPT_RETENTION_DAYS, 365).",
)
@with_appcontext
def purge_command(retention_days: int | None) -> None:
    """Remove expired tokens, sessions and trusted devices, old sent mail, and attempts past
    the retention; rollups keep counts."""
    from webapp.services.maintenance import purge

    days = (
        retention_days
        if retention_days is not None
        else current_app.config["ATTEMPT_RETENTION_DAYS"]
    )
    counts = purge(days)
    db.session.commit()
    click.echo(
        f"Removed {counts['tokens']} tokens, {counts['sessions']} sessions, "
        f"{counts['devices']} trusted devices, {counts['mail']} sent mails and "
        f"{counts['attempts']} attempts older than {days} days."
    )


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@with_appcontext
def mail_worker_command(once: bool) -> None:
    """Deliver the mail outbox in the foreground (with MAIL_SENDER_THREAD=false on the web)."""
    from webapp.services.mail_sender import MailSender
    from webapp.services.outbox import deliver_pending

    app = current_app._get_current_object()
    if once:
        report = deliver_pending(app)
        click.echo(f"Claimed {report.claimed}, sent {report.sent}, failed {report.failed}.")
        return
    click.echo("Delivering the mail outbox; Ctrl-C stops.")
    with contextlib.suppress(KeyboardInterrupt):
        MailSender(app).run()


@click.command("mfa-rotate-key")
@with_appcontext
def mfa_rotate_key() -> None:
    """Re-encrypt every TOTP secret with the current key (MFA_ENCRYPTION_KEY)."""
    from webapp.services.mfa import rotate_secrets

    count = rotate_secrets()
    db.session.commit()
    click.echo(f"Re-encrypted {count} TOTP secret(s) with the current key.")
