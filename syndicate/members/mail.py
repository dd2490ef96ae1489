"""Outgoing mail: SMTP when SYNDICATE_MAIL_SERVER is set, else .eml files in the instance outbox."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from .. import timeutil

log = logging.getLogger(__name__)


def send(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    sender = config["MAIL_SENDER"] or f"{config['SITE_NAME']} <no-reply@localhost>"
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="syndicate.local")
    message.set_content(body)
    if config["MAIL_SERVER"]:
        _smtp(message)
        # The body holds sign-in links: log only who and what.
        log.info("mail sent to %s: %s", to, subject)
    else:
        path = _outbox(message)
        log.info("mail to %s written to %s: %s", to, path, subject)


def _smtp(message: EmailMessage) -> None:
    config = current_app.config
    port = int(config["MAIL_PORT"] or 25)
    with smtplib.SMTP(config["MAIL_SERVER"], port, timeout=20) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def outbox_path() -> Path:
    """Where mail is written as .eml files when no SMTP server is configured."""
    return Path(current_app.instance_path) / "outbox"


def _outbox(message: EmailMessage) -> Path:
    outbox = outbox_path()
    outbox.mkdir(mode=0o700, exist_ok=True)
    stamp = timeutil.now().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
    return path
