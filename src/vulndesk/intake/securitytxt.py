"""security.txt (RFC 9116), written from the settings on every request so it is never stale."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from vulndesk.intake import orgkey

# RFC 9116 §2.5.5 advises less than a year; renewing daily with half a year ahead is plenty.
SECURITY_TXT_LIFETIME = dt.timedelta(days=180)


def render_security_txt(*, now: dt.datetime | None = None) -> str:
    """The file's text; clear-signed with the organisation key when there is one (RFC 9116 §2.3)."""
    has_key = orgkey.fingerprint() is not None
    text = _fields(now=now, has_key=has_key)
    return orgkey.sign_text(text) if has_key else text


def _fields(*, now: dt.datetime | None, has_key: bool) -> str:
    base = settings.BASE_URL
    expires = ((now or timezone.now()) + SECURITY_TXT_LIFETIME).astimezone(dt.UTC).replace(microsecond=0)
    lines = [
        f"# Security contact for {settings.ORGANIZATION_NAME}. Report vulnerabilities privately:",
        f"Contact: {base}/reports/new/",
        f"Contact: mailto:{settings.DEFAULT_FROM_EMAIL}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}",
        *([f"Encryption: {base}/.well-known/openpgp-key.asc"] if has_key else []),
        f"Policy: {base}/policy/",
        f"Acknowledgments: {base}/advisories/",
        f"Preferred-Languages: {', '.join(settings.INTAKE_PREFERRED_LANGUAGES)}",
        f"Canonical: {base}/.well-known/security.txt",
    ]
    return "\n".join(lines) + "\n"
