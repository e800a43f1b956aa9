"""Attachments go out as downloads only: never rendered by the browser, whatever they contain."""

from django.http import FileResponse

from vulndesk.intake.models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
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
