"""Message text: Markdown as people write it, HTML that is safe to show anyone.

markdown-it renders CommonMark with raw HTML switched off (it is shown as text), and nh3
then keeps only a small set of tags and attributes, so neither a script in the source nor a
parser quirk can reach a page.
"""

import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
_URL_SCHEMES = {"http", "https", "mailto"}

# @name or @name@example.com: a staff member by their email's local part or by their whole email.
MENTION_PATTERN = re.compile(r"(?<![\w@.])@([A-Za-z0-9._+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def render_markdown(source: str) -> str:
    """Sanitised HTML for `source`; links open nothing of ours (rel=noopener noreferrer nofollow)."""
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def mentioned_handles(source: str) -> list[str]:
    """The @handles in `source`, in order, each once, lower-cased; code spans and blocks included.

    Trailing dots are dropped, so "thanks @ana." mentions "ana".
    """
    handles: list[str] = []
    for match in MENTION_PATTERN.finditer(source):
        handle = match.group(1).rstrip(".").lower()
        if handle and handle not in handles:
            handles.append(handle)
    return handles
