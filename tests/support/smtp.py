"""A real SMTP server on 127.0.0.1 (aiosmtpd), for the campaign tests: it keeps what it
accepts and refuses, at RCPT time as real servers do, the addresses a test names."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+/mise-a-jour/[\w.\-]+")


@dataclass
class Mailbox:
    """The mails the server accepted, and the addresses it refuses (``550``)."""

    url: str = ""
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepté"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def link(message: EmailMessage) -> str:
        """The personal link of a campaign mail (the first ``/mise-a-jour/`` link)."""
        match = LINK.search(message.get_content())
        assert match, "pas de lien de mise à jour dans le courriel"
        return match.group(0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A running server; ``mailbox.url`` is its ``smtp://`` address for ``RELAIS_SMTP_URL``."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{port}"
    try:
        yield mailbox
    finally:
        controller.stop()
