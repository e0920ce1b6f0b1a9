"""Sending e-mail over SMTP (``VANGUARD_SMTP_HOST``); without a host, nothing is sent."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


@dataclass
class MailConfig:
    host: str | None = None
    port: int = 25
    sender: str = "vanguard@localhost"
    timeout: float = 10.0


_config = MailConfig()


def configure(host: str | None, port: int = 25, sender: str = "vanguard@localhost") -> None:
    global _config
    _config = MailConfig(host=host or None, port=int(port), sender=sender)


def enabled() -> bool:
    return bool(_config.host)


def send(to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises ``OSError``/``smtplib.SMTPException`` on failure."""
    if not _config.host:
        raise RuntimeError("no SMTP host configured (VANGUARD_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = _config.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_config.sender.rpartition("@")[2] or None)
    message.set_content(body)
    with smtplib.SMTP(_config.host, _config.port, timeout=_config.timeout) as smtp:
        smtp.send_message(message)
