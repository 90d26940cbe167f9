"""SMTP from ``RELAIS_SMTP_URL``: plain, implicit TLS (``smtps://``) or STARTTLS, with login.

A recipient the server refuses is not an error of the run: :meth:`Mailer.send` returns the
server's answer, which the campaign keeps as that recipient's bounce. A server that cannot
be reached is one (:class:`MailSetupError`, in French).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from recommender.errors import RelaisError

TIMEOUT_S = 30


class MailSetupError(RelaisError):
    status = 400
    code = "envoi_impossible"
    default_message = "Envoi des courriels impossible."


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://[user:pass@]host[:port][?starttls=1]`` or ``smtps://…``."""
        if not url:
            raise MailSetupError(
                "RELAIS_SMTP_URL n'est pas défini : indiquez le serveur d'envoi, "
                "par exemple RELAIS_SMTP_URL=smtp://127.0.0.1:25."
            )
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailSetupError(
                "RELAIS_SMTP_URL doit ressembler à smtp://hôte:port ou smtps://hôte:port."
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise MailSetupError("RELAIS_SMTP_URL : numéro de port invalide.") from exc
        implicit = parts.scheme == "smtps"
        flag = (parse_qs(parts.query).get("starttls") or ["0"])[0].lower()
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls=flag in ("1", "true", "oui", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class Mailer:
    """One SMTP connection for a run (``with Mailer(settings) as mailer: mailer.send(…)``)."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        try:
            if s.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_S)
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailSetupError(
                f"Le serveur d'envoi {s.host}:{s.port} a refusé l'identifiant ou le mot de passe."
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailSetupError(
                f"Serveur d'envoi {s.host}:{s.port} injoignable ({exc.__class__.__name__})."
            ) from exc
        self._smtp = smtp
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage) -> str | None:
        """Send one mail; the server's refusal (``"550 …"``) or None when accepted."""
        assert self._smtp is not None, "Mailer used outside its with block"
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return _answer(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailSetupError(
                f"Connexion au serveur d'envoi perdue ({exc.__class__.__name__}) : "
                "relancez la commande, les courriels déjà envoyés ne le seront pas deux fois."
            ) from exc
        if refused:
            return "; ".join(_answer(code, text) for code, text in refused.values())
        return None


def _answer(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {message}".strip()[:500]
