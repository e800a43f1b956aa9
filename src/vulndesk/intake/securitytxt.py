"""security.txt (RFC 9116), written from the settings on every request so it is never stale."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

# RFC 9116 §2.5.5 advises less than a year; renewing daily with half a year ahead is plenty.
SECURITY_TXT_LIFETIME = dt.timedelta(days=180)


def render_security_txt(*, now: dt.datetime | None = None) -> str:
    base = settings.BASE_URL
    expires = ((now or timezone.now()) + SECURITY_TXT_LIFETIME).astimezone(dt.UTC).replace(microsecond=0)
    lines = [
        f"# Security contact for {settings.ORGANIZATION_NAME}. Report vulnerabilities privately:",
        f"Contact: {base}/reports/new/",
        f"Contact: mailto:{settings.DEFAULT_FROM_EMAIL}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}",
        f"Policy: {base}/policy/",
        f"Acknowledgments: {base}/advisories/",
        f"Preferred-Languages: {', '.join(settings.INTAKE_PREFERRED_LANGUAGES)}",
        f"Canonical: {base}/.well-known/security.txt",
    ]
    return "\n".join(lines) + "\n"
