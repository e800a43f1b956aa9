"""The public disclosure policy: its text as Markdown made safe, and the text we start from.

markdown-it renders CommonMark with raw HTML off, and nh3 keeps a small set of tags, so
whatever an administrator pastes cannot run script on the public page.
"""

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from markdown_it import MarkdownIt

from vulndesk.intake.models import DisclosurePolicy

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(source: str) -> str:
    return nh3.clean(
        _markdown.render(source),
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "ol": {"start"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def default_policy_text() -> str:
    """The policy in force until an administrator writes one: scope, safe harbor, targets, credit."""
    return render_to_string(
        "intake/default_policy.md",
        {
            "organization_name": settings.ORGANIZATION_NAME,
            "response_target_hours": settings.INTAKE_RESPONSE_TARGET_HOURS,
            "security_email": settings.DEFAULT_FROM_EMAIL,
        },
    )


def current_policy() -> DisclosurePolicy | None:
    return DisclosurePolicy.objects.select_related("created_by").first()
