"""Reading threat data files: CISA's KEV catalog (JSON) and FIRST's EPSS scores (CSV, gzip or plain).

Parsing is separate from importing so that a file is read and checked completely before
anything is written: a file with one bad line imports nothing, and the error names the line
(or, for KEV's JSON, the entry) and what is wrong with it.
"""

import csv
import datetime as dt
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

CVE_ID = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")
EPSS_HEADER = ["cve", "epss", "percentile"]
# e.g. "#model_version:v2025.03.14,score_date:2025-03-16T12:55:00Z"
EPSS_COMMENT = re.compile(r"^#model_version:(?P<model>[^,]*),score_date:(?P<date>\d{4}-\d{2}-\d{2})")
KEV_REQUIRED = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded")


class ThreatFileError(ValueError):
    """A file that cannot be imported; nothing was written. `where` says which line or entry."""

    def __init__(self, message: str, *, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class EpssFile:
    model_version: str = ""
    score_date: dt.date | None = None
    rows: list[tuple[str, float, float]] = field(default_factory=list)


@dataclass
class KevCatalog:
    catalog_version: str
    date_released: dt.date | None
    entries: list[dict[str, Any]]


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Text lines of a plain or gzip-compressed file, decided by the gzip magic number."""
    head = stream.read(2)
    stream.seek(0)
    raw: IO[bytes] = stream
    if head == b"\x1f\x8b":
        raw = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]  # a GzipFile is a binary IO
    yield from io.TextIOWrapper(raw, encoding="utf-8", newline="")


def parse_epss(stream: IO[bytes], *, progress: Callable[[int], None] | None = None) -> EpssFile:
    """Every row of an EPSS CSV file, checked; raises ThreatFileError naming the first bad line."""
    result = EpssFile()
    seen: set[str] = set()
    line_number = 0
    header_seen = False
    try:
        for line_number, line in enumerate(_lines(stream), start=1):
            text = line.rstrip("\r\n")
            if line_number == 1 and text.startswith("#"):
                comment = EPSS_COMMENT.match(text)
                if comment:
                    result.model_version = comment["model"]
                    result.score_date = dt.date.fromisoformat(comment["date"])
                continue
            if not header_seen:
                if [part.strip() for part in text.split(",")] != EPSS_HEADER:
                    raise ThreatFileError(
                        f"expected the header 'cve,epss,percentile', found {text[:60]!r}; is this an EPSS file?",
                        where=f"line {line_number}",
                    )
                header_seen = True
                continue
            if not text:
                continue
            result.rows.append(_epss_row(text, seen, line_number))
            if progress and len(result.rows) % 50_000 == 0:
                progress(len(result.rows))
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise ThreatFileError(
            f"the gzip data is damaged or ends early (a truncated download?): {error}",
            where=f"after line {line_number}",
        ) from None
    except UnicodeDecodeError:
        raise ThreatFileError("not UTF-8 text; is this an EPSS CSV file?", where=f"line {line_number + 1}") from None
    if not result.rows:
        raise ThreatFileError("no scores found; an EPSS file has a 'cve,epss,percentile' header and one CVE a line.")
    return result


def _epss_row(text: str, seen: set[str], line_number: int) -> tuple[str, float, float]:
    where = f"line {line_number}"
    parts = next(csv.reader([text]))
    if len(parts) != len(EPSS_HEADER):
        raise ThreatFileError(
            f"expected 3 values (cve,epss,percentile), found {len(parts)}: {text[:80]!r}", where=where
        )
    cve, epss_text, percentile_text = (part.strip() for part in parts)
    if not CVE_ID.match(cve):
        raise ThreatFileError(f"{cve[:40]!r} is not a CVE id (CVE-YYYY-NNNN…)", where=where)
    if cve in seen:
        raise ThreatFileError(f"{cve} appears twice", where=where)
    seen.add(cve)
    try:
        epss, percentile = float(epss_text), float(percentile_text)
    except ValueError:
        raise ThreatFileError(f"epss and percentile must be numbers, found {epss_text!r}, {percentile_text!r}", where=where) from None  # fmt: skip
    if not (0 <= epss <= 1 and 0 <= percentile <= 1):
        raise ThreatFileError(f"epss and percentile must be between 0 and 1, found {epss}, {percentile}", where=where)
    return cve, epss, percentile


def _date(value: Any, *, where: str, name: str, required: bool) -> dt.date | None:
    if value in (None, "") and not required:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ThreatFileError(f"{name} {value!r} is not a date (YYYY-MM-DD)", where=where) from None


def parse_kev(data: bytes) -> KevCatalog:
    """The entries of a KEV catalog JSON file, checked; raises ThreatFileError naming the first bad entry."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise ThreatFileError("not UTF-8 text; is this the KEV JSON file?") from None
    except json.JSONDecodeError as error:
        raise ThreatFileError(
            f"not valid JSON ({error.msg}); a truncated download ends like this", where=f"line {error.lineno}"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
        raise ThreatFileError("no 'vulnerabilities' list; is this CISA's known_exploited_vulnerabilities.json?")
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["vulnerabilities"], start=1):
        cve = entry.get("cveID", "?") if isinstance(entry, dict) else "?"
        where = f"entry {index} ({cve})"
        if not isinstance(entry, dict):
            raise ThreatFileError("is not an object", where=where)
        missing = [name for name in KEV_REQUIRED if not entry.get(name)]
        if missing:
            raise ThreatFileError(f"missing {', '.join(missing)}", where=where)
        if not CVE_ID.match(str(entry["cveID"])):
            raise ThreatFileError(f"{str(entry['cveID'])[:40]!r} is not a CVE id (CVE-YYYY-NNNN…)", where=where)
        if entry["cveID"] in seen:
            raise ThreatFileError(f"{entry['cveID']} appears twice", where=where)
        seen.add(entry["cveID"])
        entries.append(
            {
                "cve_id": entry["cveID"],
                "vendor_project": str(entry["vendorProject"])[:200],
                "product": str(entry["product"])[:200],
                "vulnerability_name": str(entry["vulnerabilityName"])[:300],
                "date_added": _date(entry["dateAdded"], where=where, name="dateAdded", required=True),
                "due_date": _date(entry.get("dueDate"), where=where, name="dueDate", required=False),
                "short_description": str(entry.get("shortDescription") or ""),
                "required_action": str(entry.get("requiredAction") or ""),
                "known_ransomware_campaign_use": str(entry.get("knownRansomwareCampaignUse") or "")[:16],
            }
        )
    if not entries:
        raise ThreatFileError("the catalog lists no vulnerabilities.")
    released = _date(document.get("dateReleased"), where="dateReleased", name="dateReleased", required=False)
    return KevCatalog(str(document.get("catalogVersion") or "")[:32], released, entries)
