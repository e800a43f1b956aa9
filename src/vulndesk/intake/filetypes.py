"""What kind of file an upload really is, judged by its first bytes, never by its name.

Each kind has the magic bytes that identify it, the extensions a file of that kind may carry,
and the media type we record. A name whose extension belongs to another kind (`invoice.pdf`
that is really a ZIP) is refused, because the mismatch itself is a warning sign.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class FileKind:
    name: str
    label: str
    media_type: str
    extensions: frozenset[str]


KINDS: dict[str, FileKind] = {
    kind.name: kind
    for kind in (
        FileKind("text", "plain text", "text/plain", frozenset()),  # any extension: logs, code, .har, .json
        FileKind("pdf", "PDF document", "application/pdf", frozenset({".pdf"})),
        FileKind("png", "PNG image", "image/png", frozenset({".png"})),
        FileKind("jpeg", "JPEG image", "image/jpeg", frozenset({".jpg", ".jpeg"})),
        FileKind("gif", "GIF image", "image/gif", frozenset({".gif"})),
        FileKind("webp", "WebP image", "image/webp", frozenset({".webp"})),
        FileKind("zip", "ZIP archive", "application/zip", frozenset({".zip"})),
        FileKind("gzip", "gzip archive", "application/gzip", frozenset({".gz", ".tgz"})),
        FileKind("7z", "7-Zip archive", "application/x-7z-compressed", frozenset({".7z"})),
        FileKind("mp4", "MP4 video", "video/mp4", frozenset({".mp4", ".m4v", ".mov"})),
        FileKind("webm", "WebM video", "video/webm", frozenset({".webm", ".mkv"})),
        FileKind("pcap", "packet capture", "application/vnd.tcpdump.pcap", frozenset({".pcap", ".pcapng", ".cap"})),
    )
}
_EXTENSION_KIND = {extension: kind.name for kind in KINDS.values() for extension in kind.extensions}
SNIFF_BYTES = 4096


def _binary_kind(head: bytes) -> str | None:
    signatures = (
        (b"%PDF-", "pdf"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"PK\x03\x04", "zip"),
        (b"PK\x05\x06", "zip"),  # an empty archive
        (b"\x1f\x8b", "gzip"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
        (b"\x1a\x45\xdf\xa3", "webm"),
        (b"\xd4\xc3\xb2\xa1", "pcap"),
        (b"\xa1\xb2\xc3\xd4", "pcap"),
        (b"\x0a\x0d\x0d\x0a", "pcap"),  # pcapng
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "mp4"
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end inside a multi-byte character; only an error before the last 3 bytes counts.
        return error.start >= len(head) - 3
    return True


def sniff(head: bytes) -> str | None:
    """The kind name of a file starting with `head` (its first SNIFF_BYTES), or None if unknown."""
    if not head:
        return None
    return _binary_kind(head) or ("text" if _is_text(head) else None)


def kind_claimed_by_name(filename: str) -> str | None:
    """The kind a file's extension says it is, when the extension is one we know."""
    return _EXTENSION_KIND.get(PurePosixPath(filename.lower()).suffix)
