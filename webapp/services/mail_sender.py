"""The outbox sender: a daemon thread per app process, or `flask mail-worker` in the foreground."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.services.outbox import BATCH_SIZE, QUEUED, deliver_pending

log = logging.getLogger(__name__)
EXTENSION = "doorman_mail_sender"
MAX_PAUSE = 60.0  # the longest wait between passes while the database is unreachable
_start_lock = threading.Lock()


class MailSender:
    """Delivers the outbox in passes: at once after a commit queued mail, else every interval."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Run the loop in a daemon thread (it dies with the process; claims then expire)."""
        self.thread = threading.Thread(target=self.run, name="doorman-mail-sender", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end after its current pass and wait for it."""
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def run(self) -> None:
        """Pass after pass until stopped; a failing pass (database down) waits longer each time."""
        interval = float(self.app.config["MAIL_SENDER_INTERVAL_SECONDS"])
        failures = 0
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                report = deliver_pending(self.app)
            except Exception:
                failures += 1
                if failures == 1:
                    log.exception("Mail sender pass failed; retrying")
                self.stopping.wait(min(interval * 2**failures, MAX_PAUSE))
                continue
            if failures:
                log.warning("Mail sender recovered after %d failed pass(es)", failures)
                failures = 0
            if report.claimed < BATCH_SIZE:  # a full batch: more may be due right away
                self.wake.wait(interval)


def init_mail_sender(app: Flask) -> None:
    """Start the in-process sender on the first request of each process (MAIL_SENDER_THREAD).

    Lazily, so `flask db ...` and other commands start no thread, and each gunicorn worker
    (forked after the app was built) gets its own.
    """
    if not app.config["MAIL_SENDER_THREAD"]:
        return

    def ensure_started() -> None:
        sender = app.extensions.get(EXTENSION)
        if sender is not None and sender.pid == os.getpid():
            return
        with _start_lock:
            sender = app.extensions.get(EXTENSION)
            if sender is None or sender.pid != os.getpid():
                sender = MailSender(app)
                sender.start()
                app.extensions[EXTENSION] = sender

    app.before_request(ensure_started)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session) -> None:
    """Mail queued by this transaction goes out now rather than at the next interval."""
    if session.info.pop(QUEUED, False) and has_app_context():
        sender = current_app.extensions.get(EXTENSION)
        if sender is not None:
            sender.wake.set()
