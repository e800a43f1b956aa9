"""`VULNDESK_EMAIL_URL`: the outgoing mail server as one URL.

    smtp://user:password@host:port       plain SMTP (port 25 by default)
    smtp+tls://user:password@host:port   STARTTLS (port 587 by default)
    smtps://user:password@host:port      implicit TLS (port 465 by default)

User and password are percent-decoded, so a password may contain any character (`%40` for @).
"""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "smtps": (465, False, True)}


class InvalidEmailUrl(ValueError):
    pass


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str
    password: str
    use_tls: bool  # STARTTLS
    use_ssl: bool  # implicit TLS


def parse_email_url(url: str) -> SmtpServer:
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES:
        raise InvalidEmailUrl(f"unknown scheme {parts.scheme!r}; use smtp://, smtp+tls:// or smtps://")
    if not parts.hostname:
        raise InvalidEmailUrl("no host; write it like smtp+tls://user:password@mail.example.com:587")
    default_port, use_tls, use_ssl = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise InvalidEmailUrl("the port is not a number between 1 and 65535") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )
