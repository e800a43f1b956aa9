"""Finding earlier reports a report may duplicate: candidates with a score and the reasons.

Two steps, so a million reports stay fast: a few indexed queries gather at most a few hundred
candidates (the same product's latest reports, reports sharing an attachment's SHA-256, and
reports containing all of the title's longest words or an endpoint's words: full-text through
the GIN index on PostgreSQL, LIKE over the latest 20,000 reports on SQLite), then
each candidate is scored in Python from what an analyst would compare: the same product and
CWE, shared endpoints/URLs/file names, how close the words are, and identical attachments.
Similarity scores are internal: only people who triage may see them.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Max, Q, QuerySet

from vulndesk.intake.models import Attachment, Report
from vulndesk.triage.models import Case

PER_SOURCE = 150
# Weights sum to more than 1 on purpose; the score is capped, and identical attachments alone
# nearly decide it.
WEIGHTS = {"text": 0.45, "endpoints": 0.25, "product": 0.15, "cwe": 0.10, "attachment": 0.50}
_WORD = re.compile(r"[a-z0-9]{3,}")
_URL = re.compile(r"https?://[^\s'\"<>)\]]+", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w.])/(?:[\w.~%-]+/)*[\w.~%-]+")
_FILE = re.compile(
    r"\b[\w-]+\.(?:php|aspx?|jsp|js|ts|py|rb|go|java|dll|exe|sys|so|cgi|html?|json|xml|ya?ml|png|jpe?g|gif|svg|"
    r"pdf|docx?|xlsx?|zip|tiff?|bmp|ini|conf|sh|ps1)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "are",
        "was",
        "were",
        "when",
        "into",
        "not",
        "but",
        "can",
        "has",
        "have",
        "had",
        "its",
        "via",
        "any",
        "all",
        "our",
        "your",
        "their",
        "there",
        "which",
        "who",
        "what",
        "how",
        "been",
        "being",
        "also",
        "than",
        "then",
        "them",
        "they",
        "you",
        "use",
        "used",
        "using",
        "does",
        "did",
        "able",
    ]
)
# Search terms: the longest distinct words are the most telling (product and flaw vocabulary).
_SEARCH_TERMS = 3
_SQLITE_WINDOW = 20_000


@dataclass(frozen=True)
class Candidate:
    report: Report
    score: float
    reasons: list[str] = field(default_factory=list)


def _stem(word: str) -> str:
    # Crude, language-free suffix folding: enough for "overflows"/"overflow", "injected"/"injection".
    for suffix in ("ations", "ation", "ings", "ing", "ions", "ion", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words(text: str) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOP}


def endpoints(text: str) -> set[str]:
    """URLs (without scheme, query and trailing slash), paths and file names named in the text."""
    found = set()
    for url in _URL.findall(text):
        found.add(re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("?")[0].split("#")[0].rstrip("/.,").lower())
    without_urls = _URL.sub(" ", text)
    found |= {path.rstrip(".,").lower() for path in _PATH.findall(without_urls) if len(path) > 3}
    found |= {name.lower() for name in _FILE.findall(without_urls)}
    return found


def _text(report: Report) -> str:
    return " ".join((report.title, report.description, report.steps_to_reproduce))


def _jaccard(left: set[str], right: set[str]) -> float:
    return len(left & right) / len(left | right) if left and right else 0.0


def _gather(report: Report) -> QuerySet[Report]:
    """At most a few hundred plausible candidates, each source through an index."""
    others = Report.objects.exclude(pk=report.pk).exclude(state=Report.State.SPAM)
    ids: set[int] = set()
    if report.product_id is not None:
        latest = others.filter(product_id=report.product_id).order_by("-created_at")
        ids |= set(latest.values_list("pk", flat=True)[:PER_SOURCE])
    hashes = list(Attachment.objects.filter(report=report).values_list("sha256", flat=True))
    if hashes:
        same_files = Attachment.objects.filter(sha256__in=hashes).exclude(report=report)
        ids |= set(same_files.order_by().values_list("report_id", flat=True)[:PER_SOURCE])
    for terms in _search_term_sets(report):
        # Unordered: any few hundred matches will do, and sorting every match would cost more than the match.
        ids |= set(_matching(others, terms).order_by().values_list("pk", flat=True)[:PER_SOURCE])
    return Report.objects.filter(pk__in=ids).select_related("product")


def _search_term_sets(report: Report) -> list[list[str]]:
    """Terms that must all appear: the title's longest words; and each named endpoint, whole.

    An endpoint stays one term: PostgreSQL's parser keeps "/api/files/12/export" or a URL as
    one token (so the id in it counts), and on SQLite it is one substring.
    """
    plain = sorted(set(_WORD.findall(report.title.lower())) - _STOP, key=lambda word: (-len(word), word))
    sets = [plain[:_SEARCH_TERMS]] if plain else []
    sets += [[endpoint] for endpoint in sorted(endpoints(_text(report)), key=lambda e: (-len(e), e))[:3]]
    return sets


def _matching(reports: QuerySet[Report], terms: list[str]) -> QuerySet[Report]:
    if connection.vendor == "postgresql":
        # Through the GIN index of triage migration 0005; plainto_tsquery ANDs the terms' tokens.
        query = SearchQuery(" ".join(terms), config="english", search_type="plain")
        vector = SearchVector("title", "description", "steps_to_reproduce", config="english")
        return reports.annotate(search=vector).filter(search=query)
    # SQLite has no such index: look among the latest reports only, so the scan stays bounded.
    newest = Report.objects.aggregate(newest=Max("pk"))["newest"] or 0
    matching = reports.filter(pk__gt=newest - _SQLITE_WINDOW)
    for term in terms:
        matching = matching.filter(
            Q(title__icontains=term) | Q(description__icontains=term) | Q(steps_to_reproduce__icontains=term)
        )
    return matching


def find_duplicate_candidates(report: Report, *, limit: int = 10) -> list[Candidate]:
    """The `limit` most similar other reports (open and closed; spam left out), best first."""
    own_words, own_endpoints = words(_text(report)), endpoints(_text(report))
    own_hashes = set(Attachment.objects.filter(report=report).values_list("sha256", flat=True))
    candidates = list(_gather(report))
    hashes_of: dict[int, set[str]] = {}
    if own_hashes:
        for report_id, sha256 in Attachment.objects.filter(report__in=candidates, sha256__in=own_hashes).values_list(
            "report_id", "sha256"
        ):
            hashes_of.setdefault(report_id, set()).add(sha256)
    scored = [_score(report, other, own_words, own_endpoints, hashes_of.get(other.pk, set())) for other in candidates]
    scored.sort(key=lambda candidate: (-candidate.score, candidate.report.created_at, candidate.report.pk))
    return [candidate for candidate in scored if candidate.score > 0][:limit]


def _score(
    report: Report, other: Report, own_words: set[str], own_endpoints: set[str], same_files: set[str]
) -> Candidate:
    reasons: list[str] = []
    score = 0.0
    text = _jaccard(own_words, words(_text(other)))
    if text:
        score += WEIGHTS["text"] * min(1.0, text * 2)  # a Jaccard of 0.5 is already very close prose
        if text >= 0.2:
            reasons.append(f"close text ({text:.0%} of words shared)")
    shared = own_endpoints & endpoints(_text(other))
    if shared:
        score += WEIGHTS["endpoints"] * min(1.0, len(shared) / max(1, min(len(own_endpoints), 3)))
        reasons.append("same endpoints or files: " + ", ".join(sorted(shared)[:3]))
    if report.product_id is not None and report.product_id == other.product_id:
        score += WEIGHTS["product"]
        reasons.append(f"same product ({other.product.name if other.product else ''})")
    if report.cwe and report.cwe == other.cwe:
        score += WEIGHTS["cwe"]
        reasons.append(f"same {report.cwe}")
    if same_files:
        score += WEIGHTS["attachment"]
        reasons.append("identical attachment (SHA-256 " + ", ".join(sorted(h[:12] for h in same_files)) + "…)")
    return Candidate(report=other, score=round(min(score, 1.0), 3), reasons=reasons)


@dataclass(frozen=True)
class KnownVulnerability:
    id: int
    cve_id: str | None
    title: str
    case_reference: str
    score: float
    reasons: list[str]


def known_vulnerabilities(report: Report, *, limit: int = 10) -> list[KnownVulnerability]:
    """Vulnerabilities already recorded for the report's product (through its cases), most similar first.

    Read through relation names (a case's `vulnerabilities`), so triage never imports scoring.
    """
    if report.product_id is None:
        return []
    rows = (
        Case.objects.filter(case_reports__report__product_id=report.product_id, vulnerabilities__isnull=False)
        .values_list(
            "pk",
            "vulnerabilities__id",
            "vulnerabilities__cve_id",
            "vulnerabilities__title",
            "vulnerabilities__description",
            "vulnerabilities__cwe",
        )
        .distinct()[:500]
    )
    own_words = words(_text(report))
    found = []
    for case_id, vulnerability_id, cve_id, title, description, cwe in rows:
        text = _jaccard(own_words, words(f"{title} {description}"))
        reasons = ["same product"]
        score = WEIGHTS["product"] + WEIGHTS["text"] * min(1.0, text * 2)
        if text >= 0.2:
            reasons.append(f"close text ({text:.0%} of words shared)")
        if report.cwe and report.cwe == cwe:
            score += WEIGHTS["cwe"]
            reasons.append(f"same {cwe}")
        found.append(
            KnownVulnerability(vulnerability_id, cve_id, title, f"VD-C{case_id}", round(min(score, 1.0), 3), reasons)
        )
    found.sort(key=lambda known: (-known.score, known.id))
    return found[:limit]
