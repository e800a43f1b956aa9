"""Attachments go out as downloads only: never rendered by the browser, whatever they contain."""

from typing import Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse


class StoredFile(Protocol):
    """A report attachment, or anything stored the same way (messaging's message attachments)."""

    file: FieldFile
    original_name: str


def attachment_response(attachment: StoredFile) -> FileResponse:
    # octet-stream plus `attachment` and nosniff: a browser saves the file and never renders it,
    # even an HTML file that slipped past as text; the sandbox CSP covers old browsers that would.
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
