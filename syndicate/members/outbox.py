"""The outbox: sends queued mail outside every request, with retries and growing pauses.

Each web process runs one sender thread per app, started with the process
(syndicate.background) and woken when a transaction that queued mail commits;
between those it looks at the outbox every minute, so mail that another process
left behind (a worker killed mid-send) goes out without waiting for new mail.
Rows are claimed for a lease before sending, so several processes can drain one
outbox; a sender that dies mid-send lets its rows go when the lease runs out.
A message is deleted once it has left or been given up: it holds sign-in links.
CLI commands drain in the foreground, and `syndicate mail send-pending` drains
from cron.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app, has_request_context
from sqlalchemy import case, event, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import parts, timeutil
from ..extensions import db
from ..metrics import MAIL
from ..models import OutboxMail
from ..writes import end_read, private_write

log = logging.getLogger(__name__)

MAX_PAUSE = 3600  # seconds: the longest wait between two attempts
LOOK_EVERY = 60  # seconds: how often a sender started with the service looks for mail nobody told it about


@dataclass
class Drained:
    """What one drain did, and what is left: how many wait, and when the first of them is due."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    next_due: datetime | None = None


def _lease() -> timedelta:
    # connect, EHLO, STARTTLS, login and DATA can each take up to the timeout
    return timedelta(seconds=6 * float(current_app.config["MAIL_TIMEOUT"]) + 30)


def _pause(attempts: int) -> float:
    return min(float(current_app.config["MAIL_RETRY_SECONDS"]) * 2 ** max(attempts - 1, 0), MAX_PAUSE)


def drain(limit: int = 200, stopping=lambda: False) -> Drained:
    """Send every message that is due now; returns what happened and when the next retry is due."""
    result = Drained()
    now = timeutil.now()
    due = list(db.session.scalars(
        select(OutboxMail.id).where(
            OutboxMail.state == "pending", OutboxMail.next_attempt_at <= now,
            or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
        ).order_by(OutboxMail.id).limit(limit)
    ))
    end_read()
    for row_id in due:
        if stopping():
            break
        outcome = deliver(row_id)
        MAIL.labels(outcome).inc()
        result.sent += outcome == "sent"
        result.failed += outcome == "failed"
    # A row another sender holds is due again when its lease runs out, not before.
    due_at = case((OutboxMail.claimed_until > OutboxMail.next_attempt_at, OutboxMail.claimed_until),
                  else_=OutboxMail.next_attempt_at)
    result.pending, result.next_due = db.session.execute(
        select(func.count(OutboxMail.id), func.min(due_at)).where(OutboxMail.state == "pending")
    ).one()
    if isinstance(result.next_due, str):  # SQLite hands min() of a CASE back as text
        result.next_due = datetime.fromisoformat(result.next_due)
    if result.next_due is not None and result.next_due.tzinfo is None:  # stored as naive UTC
        result.next_due = result.next_due.replace(tzinfo=timezone.utc)
    end_read()
    return result


def depth() -> int:
    """How many messages wait to leave."""
    count = db.session.scalar(select(func.count(OutboxMail.id)).where(OutboxMail.state == "pending"))
    end_read()
    return count or 0


def _claim(row_id: int) -> OutboxMail | None:
    now = timeutil.now()
    with private_write():
        claimed = db.session.execute(
            update(OutboxMail).where(
                OutboxMail.id == row_id, OutboxMail.state == "pending",
                or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
            ).values(claimed_until=now + _lease(), attempts=OutboxMail.attempts + 1)
        ).rowcount
    return db.session.get(OutboxMail, row_id) if claimed else None


def deliver(row_id: int) -> str:
    """Try one message once: "sent", "retry", "failed", "dropped" or "skipped" (another sender has it)."""
    row = _claim(row_id)
    if row is None:
        return "skipped"
    if row.kind != "mail":
        with private_write():
            if not _resolve(row):
                db.session.delete(row)  # nothing is owed to this address: nothing goes, nothing is kept
                return "dropped"
    message = _message(row)
    end_read()  # no transaction stays open while the mail server is talked to
    try:
        where = _transmit(message)
    except (OSError, smtplib.SMTPException) as exc:
        return _failed(row, exc)
    row_id, to_addr, subject = row.id, row.to_addr, row.subject
    with private_write():
        db.session.delete(row)  # sent: nothing more is owed, and the body holds sign-in links
    # Who and what only.
    log.info("mail %s to %s %s: %s", row_id, to_addr, where, subject)
    return "sent"


def _resolve(row: OutboxMail) -> bool:
    """Turn a sign-in or join request into the mail it is owed; False when none is owed."""
    from ..desk.auth import signin_mail as desk_signin_mail
    from .join import join_mail
    from .signin import signin_mail

    if row.kind == "join":
        mail = join_mail(row.to_addr, row.body, row.language)
    elif row.kind == "desk_signin":
        mail = desk_signin_mail(row.to_addr, row.language)
    else:
        mail = signin_mail(row.to_addr, row.language)
    if mail is None:
        return False
    row.kind, row.to_addr, row.subject, row.body = "mail", *mail
    db.session.flush()
    return True


def _failed(row: OutboxMail, exc: Exception) -> str:
    permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) or (
        isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600)
    error = f"{type(exc).__name__}: {exc}"[:300]
    if permanent or row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        row_id, to_addr, attempts = row.id, row.to_addr, row.attempts
        with private_write():
            db.session.delete(row)  # given up: the link it holds is kept nowhere
        log.warning("mail %s to %s given up after %d attempts: %s", row_id, to_addr, attempts, error)
        return "failed"
    pause = _pause(row.attempts)
    with private_write():
        row.last_error, row.claimed_until = error, None
        row.next_attempt_at = timeutil.now() + timedelta(seconds=pause)
    log.warning("mail %s to %s not sent (attempt %d): %s; trying again in %.0f s",
                row.id, row.to_addr, row.attempts, error, pause)
    return "retry"


def _message(row: OutboxMail) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"] or f"{config['SITE_NAME']} <no-reply@localhost>"
    message["To"] = row.to_addr
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id  # the same on every attempt, so a receiver can spot a repeat
    message.set_content(row.body, cte=_transfer_encoding(row.body))
    return message


def _transfer_encoding(body: str) -> str | None:
    """7bit for ASCII text, 8bit for any other, so a long link stays whole on one line.

    Left to itself, the email package quoted-printable encodes any line longer than 78
    characters, and a sign-in link split with "=" is no link to anyone who reads the .eml
    or copies it from a plain-text client. Lines beyond SMTP's 998 are the exception: the
    package's choice then, since no server has to take them.
    """
    if any(len(line.encode()) > 998 for line in body.splitlines()):
        return None
    return "7bit" if body.isascii() else "8bit"


def _transmit(message: EmailMessage) -> str:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        path = _write_file(message)
        for watcher in sender(current_app._get_current_object()).file_watchers:
            watcher(path, message)
        return f"written to {path}"
    timeout = float(config["MAIL_TIMEOUT"])
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"] or 25), timeout=timeout) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    return "sent"


def _write_file(message: EmailMessage) -> Path:
    """Without a mail server: the message as an .eml file in the instance folder's outbox/."""
    from .mail import outbox_path

    outbox = outbox_path()
    outbox.mkdir(mode=0o700, exist_ok=True)
    stamp = timeutil.now().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{abs(hash(message['Message-ID'])) % 10**8:08d}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
    return path


class Sender:
    """One process's sender thread for one app.

    Started with the service (start()), it runs until the app is closed, looks at
    the outbox at least every LOOK_EVERY seconds and runs the process's other
    chores between sends. Started on demand (kick(), a request that queued mail
    where nothing started it), it ends when the outbox is empty.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stopped = False
        self.forever = False
        self.chores: list[Callable[[], None]] = []
        # Told of each .eml written when no mail server is set (the demo shows its links on the console).
        self.file_watchers: list[Callable[[Path, EmailMessage], None]] = []

    def start(self, chores: list[Callable[[], None]] | None = None) -> None:
        """Run from now until stop(), doing each chore (in the app's context) on every round."""
        with self.lock:
            self.forever = True
            self.chores = list(chores or [])
        self.kick()

    def kick(self) -> None:
        with self.lock:
            self.wake.set()
            if self.stopped:
                return
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="mail-outbox", daemon=True)
                self.thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Let the thread finish what it is sending and end (an app being closed)."""
        with self.lock:
            self.stopped = True
            self.wake.set()
            thread = self.thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        with self.app.app_context():
            while not self.stopped:
                self.wake.clear()
                try:
                    result = drain(stopping=lambda: self.stopped)
                    wait = None if result.next_due is None else \
                        max((result.next_due - timeutil.now()).total_seconds(), 0.05)
                except SQLAlchemyError as exc:
                    log.warning("the mail outbox could not be read: %s", type(exc).__name__)
                    wait = 5.0
                finally:
                    db.session.remove()
                if self.forever:
                    self._chores()
                    wait = LOOK_EVERY if wait is None else min(wait, LOOK_EVERY)
                if wait is None or self.stopped:
                    with self.lock:
                        if self.stopped or not self.wake.is_set():
                            self.thread = None
                            return
                    continue
                self.wake.wait(min(wait, LOOK_EVERY))

    def _chores(self) -> None:
        for chore in self.chores:
            if self.stopped:
                return
            try:
                chore()
            except SQLAlchemyError as exc:  # the database is away: the next round tries again
                log.warning("background chore %s failed: %s", getattr(chore, "__name__", type(chore).__name__),
                            type(exc).__name__)
            finally:
                db.session.remove()


def sender(app: Flask) -> Sender:
    """The app's sender (made by init_app; its thread starts on demand)."""
    return parts.of(app).outbox


def init_app(app: Flask) -> None:
    parts.of(app).outbox = Sender(app)


# db.session serves every app in the process, so the listeners are registered once, here.
@event.listens_for(db.session, "after_commit")
def _after_commit(session):
    if session.info.pop("outbox_pending", None) and has_request_context():
        # Requests hand mail to the thread; CLI commands drain in the foreground themselves.
        sender(current_app._get_current_object()).kick()


@event.listens_for(db.session, "after_rollback")
def _after_rollback(session):
    session.info.pop("outbox_pending", None)
