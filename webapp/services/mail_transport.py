"""Delivering one outbox message: the console, or SMTP with connect and read timeouts."""

from __future__ import annotations

import smtplib

from flask import Flask
from flask_mail import Connection, Message


class ConnectFailed(Exception):
    """The SMTP server could not be reached or refused the session (see __cause__)."""


class _TimedConnection(Connection):
    """Flask-Mail's connection, with a socket timeout on connecting and on every reply."""

    def __init__(self, state, timeout: float) -> None:
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host


def build_message(item) -> Message:
    """A Flask-Mail message from an outbox row, keeping the row's Message-ID across retries."""
    message = Message(
        subject=item.subject,
        recipients=[item.recipient],
        body=item.body_text,
        html=item.body_html or None,
    )
    message.msgId = item.message_id
    return message


class Postman:
    """Sends messages over one connection, opened on first use and dropped after a failure.

    Console mode (Flask-Mail's suppressed sending) opens nothing: the email_dispatched signal
    saves and prints each message.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.connection: _TimedConnection | None = None

    def send(self, message: Message) -> None:
        """Deliver one message; raises ConnectFailed when no session could be opened."""
        if self.connection is None:
            connection = _TimedConnection(
                self.app.extensions["mail"], self.app.config["MAIL_TIMEOUT_SECONDS"]
            )
            try:
                connection.__enter__()
            except Exception as exc:
                raise ConnectFailed(str(exc)) from exc
            self.connection = connection
        try:
            self.connection.send(message)
        except Exception:
            self.close(polite=False)
            raise

    def close(self, *, polite: bool = True) -> None:
        """End the session: QUIT when it is healthy, just drop the socket otherwise."""
        connection, self.connection = self.connection, None
        if connection is None or connection.host is None:
            return
        try:
            if polite:
                connection.host.quit()
            else:
                connection.host.close()
        except (smtplib.SMTPException, OSError):
            connection.host.close()
