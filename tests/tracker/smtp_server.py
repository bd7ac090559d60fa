"""A real SMTP server for the email tests (aiosmtpd in a thread), keeping what it receives.

``SmtpServer(tmp_path, tls=True, users={"name": "password"})`` serves STARTTLS with a
self-signed certificate made for the test (its file is ``server.ca_file``, for
``MAIL_CA_FILE``) and requires authentication; without arguments it is plain SMTP.
``server.messages`` are the received ``email.message.EmailMessage`` objects, in order.
"""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_MAIL(self, smtp, session, envelope, address, mail_options):
        with self.server.lock:
            self.server.mail_commands += 1
            count = self.server.mail_commands
        if self.server.on_mail is not None:
            self.server.on_mail(count)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.fail_next:
            self.server.fail_next -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), session.authenticated))
            count = len(self.server.messages)
        if self.server.on_message is not None:
            self.server.on_message(count)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, folder: Path | None = None, *, tls: bool = False, users: dict[str, str] | None = None):
        self.messages: list = []
        self.envelopes: list = []
        self.lock = threading.Lock()
        self.refuse: set[str] = set()
        self.fail_next = 0
        self.on_message = None  # called in the server's thread with the count received so far
        self.on_mail = None  # the same at each MAIL FROM, before the message is sent
        self.mail_commands = 0
        self.port = free_port()
        self.ca_file = None
        kwargs = {}
        if tls:
            cert, key = self_signed_certificate(folder)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            kwargs.update(tls_context=context, require_starttls=True)
            self.ca_file = str(cert)
        if users is not None:
            def authenticate(server, session, envelope, mechanism, data):
                ok = getattr(data, "login", b"").decode() in users and \
                    users[data.login.decode()] == data.password.decode()
                return AuthResult(success=ok)

            kwargs.update(authenticator=authenticate, auth_required=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def config(self) -> dict:
        """App settings that deliver to this server."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_STARTTLS": self.ca_file is not None,
                "MAIL_CA_FILE": self.ca_file or "", "MAIL_FROM": "Consultations <noreply@inspectorate.example>",
                "MAIL_TIMEOUT": 10}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
