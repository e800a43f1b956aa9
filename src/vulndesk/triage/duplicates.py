"""Finding earlier reports a report may duplicate: candidates with a score and the reasons.

Three steps, so a million reports stay fast (p95 45 ms on PostgreSQL, see bench/README.md):

1. A few indexed queries, each with a LIMIT, gather at most a few hundred candidate ids: reports
   sharing an attachment's SHA-256; reports naming one of the report's endpoints (full-text
   through the GIN index on PostgreSQL: the parser keeps a path or URL as one token, so this is
   nearly exact; endpoints common to thousands of reports are skipped); the same researcher's
   latest reports (a resubmission); the product's latest reports; and reports of the product
   whose titles contain the title's longest words (a GIN index over titles: the words of a flaw
   type are in the text of every report of it). When the researcher typed the product instead
   of picking it, the product is the catalog product the text names.
2. Only the columns scoring reads are fetched for them, and each is scored in Python from what an
   analyst would compare: the same product and CWE, the same researcher, shared
   endpoints/URLs/file names, how close the words are, and identical attachments. Texts repeat
   (templates, copy-paste), so each distinct text is parsed once per call.
3. The best `limit` are loaded as reports (with their product) in one query.

Similarity scores are internal: only people who triage may see them.
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Max, QuerySet

from vulndesk.catalog.models import Product
from vulndesk.intake.models import Attachment, Report
from vulndesk.triage.models import Case
from vulndesk.triage.search import every_word_in, matching

# How many ids each source may add: enough to hold the original, few enough to fetch and score in a
# few ms. A text match reads each match's row to check the rest of the conditions, so its share is
# the smallest: matches past the first few dozen are as alike as the first (same words), not better.
PER_SOURCE = 100
PER_TEXT_MATCH = 30
# An endpoint named in more reports than this is not looked up (see _common_terms).
COMMON_TERM_REPORTS = 1_000
# Weights sum to more than 1 on purpose; the score is capped, and identical attachments alone
# nearly decide it.
WEIGHTS = {"text": 0.45, "endpoints": 0.25, "product": 0.15, "cwe": 0.10, "researcher": 0.10, "attachment": 0.50}
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


class _Row(NamedTuple):
    """What scoring reads of a candidate; the text columns only once per candidate."""

    pk: int
    title: str
    description: str
    steps_to_reproduce: str
    product_id: int | None
    cwe: str
    researcher_id: int
    created_at: dt.datetime


_ROW_FIELDS = _Row._fields


# Vocabulary is bounded while texts are not: folding each distinct word once is most of the speed of scoring.
@functools.lru_cache(maxsize=65_536)
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


def _text(report: Report | _Row) -> str:
    return " ".join((report.title, report.description, report.steps_to_reproduce))


def _jaccard(left: set[str], right: set[str]) -> float:
    return len(left & right) / len(left | right) if left and right else 0.0


@dataclass(frozen=True)
class _ProductGuess:
    """The report's product: picked from the catalog, or the catalog product its text names."""

    pk: int
    name: str
    is_named_in_text: bool


def _product_of(report: Report) -> _ProductGuess | None:
    if report.product_id is not None and report.product is not None:
        return _ProductGuess(report.product_id, report.product.name, is_named_in_text=False)
    # Typed in rather than picked ("Larkmoor correo servidor"): a researcher writing in another
    # language usually still names the product as it is sold somewhere in the text ("tested on …").
    # The longest name that appears wins, so "Mail Server Pro" beats "Mail Server".
    text = f"{report.product_other} {_text(report)}".lower()
    named = [(pk, name) for pk, name in Product.objects.values_list("pk", "name") if name.lower() in text]
    if not named:
        return None
    pk, name = max(named, key=lambda product: len(product[1]))
    return _ProductGuess(pk, name, is_named_in_text=True)


def _gather(report: Report, product: _ProductGuess | None, own_hashes: set[str]) -> set[int]:
    """At most a few hundred plausible candidate ids, each source through an index and a LIMIT."""
    others = Report.objects.exclude(pk=report.pk).exclude(state=Report.State.SPAM).order_by()
    ids: set[int] = set()
    if own_hashes:
        same_files = Attachment.objects.filter(sha256__in=own_hashes).exclude(report=report).order_by()
        ids |= set(same_files.values_list("report_id", flat=True)[:PER_SOURCE])
    # An endpoint is one search term: PostgreSQL's parser keeps "/api/files/12/export" or a URL as one token.
    named = sorted(endpoints(_text(report)), key=lambda e: (-len(e), e))[:3]
    for endpoint in sorted(set(named) - _common_terms(named)):
        ids |= set(_matching(others, [endpoint]).values_list("pk", flat=True)[:PER_TEXT_MATCH])
    # The same person filing the same finding again (resubmissions) is common and cheap to check.
    by_researcher = others.filter(researcher_id=report.researcher_id).order_by("-created_at")
    ids |= set(by_researcher.values_list("pk", flat=True)[: PER_SOURCE // 2])
    terms = _title_terms(report)
    if terms and _common_terms([" ".join(terms)], in_titles=True):
        # Words in thousands of titles (a flaw type's name): a few dozen of those matches, drawn at
        # random, would rarely hold the original, and finding them cost 15-50 ms at a million reports.
        terms = []
    if product is not None:
        of_product = others.filter(product_id=product.pk)
        ids |= set(of_product.order_by("-created_at").values_list("pk", flat=True)[: PER_SOURCE // 2])
        if terms:
            # Unordered: any few dozen matches will do, and sorting every match would cost more than the match.
            ids |= set(_matching_titles(of_product, terms).values_list("pk", flat=True)[:PER_TEXT_MATCH])
    elif terms:
        ids |= set(_matching_titles(others, terms).values_list("pk", flat=True)[:PER_TEXT_MATCH])
    return ids


def _common_terms(terms: list[str], *, in_titles: bool = False) -> set[str]:
    """The terms PostgreSQL's statistics say appear in more than COMMON_TERM_REPORTS reports.

    Such an endpoint ("/etc/hostname", the cloud metadata address) is in every report of a kind of
    flaw: it tells reports apart no better than the flaw's name, and its index lookup reads a
    posting list of tens of thousands (30-40 ms at a million reports) even under a LIMIT. A term is
    judged by the lexemes PostgreSQL makes of it, as the lookup would: a URL becomes its host and
    path, and it is common when every one of them is. The frequencies are the stored search
    documents' most common lexemes (`in_titles`: the title index's), which ANALYZE keeps; without
    statistics (a new or small database) nothing is skipped.
    """
    if connection.vendor != "postgresql" or not terms:
        return set()
    table = Report._meta.db_table
    # An expression index keeps statistics of its expression under its own name (migration 0016).
    source = ("report_title_search_idx", "to_tsvector") if in_titles else (table, "search_document")
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH common AS (SELECT lexeme FROM pg_stats, "
            "unnest(most_common_elems::text::text[], most_common_elem_freqs) AS frequent(lexeme, share) "
            "WHERE schemaname = current_schema() AND tablename = %s AND attname = %s "
            # The frequencies array ends with three figures of its own (minimum, maximum, nulls), unnested beside no lexeme.
            "AND lexeme IS NOT NULL AND share * (SELECT reltuples FROM pg_class WHERE oid = %s::regclass) > %s) "
            "SELECT term FROM unnest(%s::text[]) AS term WHERE NOT EXISTS ("
            "SELECT 1 FROM unnest(tsvector_to_array(strip(to_tsvector('english', term)))) AS lexeme "
            "WHERE lexeme NOT IN (SELECT lexeme FROM common))",
            [*source, table, COMMON_TERM_REPORTS, list(terms)],
        )
        return {row[0] for row in cursor.fetchall()}


def _title_terms(report: Report) -> list[str]:
    """The title's longest words, which must all appear in a candidate found by text."""
    plain = sorted(set(_WORD.findall(report.title.lower())) - _STOP, key=lambda word: (-len(word), word))
    return plain[:_SEARCH_TERMS]


def _matching(reports: QuerySet[Report], terms: list[str]) -> QuerySet[Report]:
    """Reports whose title, description or steps contain every term."""
    if connection.vendor == "postgresql":
        # The stored document and its GIN index (migration 0018); plainto_tsquery ANDs the terms' tokens.
        return matching(reports, " ".join(terms), search_type="plain")
    return _sqlite_window(reports, terms, ("title", "description", "steps_to_reproduce"))


def _matching_titles(reports: QuerySet[Report], terms: list[str]) -> QuerySet[Report]:
    """Reports whose title contains every term: the words of a flaw type are in every report of it, titles are specific."""
    if connection.vendor == "postgresql":
        # Through the GIN index of triage migration 0016.
        query = SearchQuery(" ".join(terms), config="english", search_type="plain")
        return reports.alias(title_search=SearchVector("title", config="english")).filter(title_search=query)
    return _sqlite_window(reports, terms, ("title",))


def _sqlite_window(reports: QuerySet[Report], terms: list[str], fields: tuple[str, ...]) -> QuerySet[Report]:
    # SQLite has no such index: look among the latest reports only, so the scan stays bounded.
    newest = Report.objects.aggregate(newest=Max("pk"))["newest"] or 0
    return reports.filter(every_word_in(terms, fields), pk__gt=newest - _SQLITE_WINDOW)


class _Scorer:
    """Scores candidates against one report; parses each distinct text once."""

    def __init__(self, report: Report, product: _ProductGuess | None, own_hashes: set[str]) -> None:
        self.report = report
        self.product = product
        self.words = words(_text(report))
        self.endpoints = endpoints(_text(report))
        self.own_hashes = own_hashes
        self._parsed: dict[str, tuple[set[str], set[str]]] = {}

    def _parse(self, text: str) -> tuple[set[str], set[str]]:
        if text not in self._parsed:
            lowered = text.lower()
            # An endpoint the other text shares appears in it verbatim, so most texts need no parsing for them.
            named = any(endpoint in lowered for endpoint in self.endpoints)
            self._parsed[text] = (words(text), endpoints(text) if named else set())
        return self._parsed[text]

    def score(self, other: _Row, same_files: set[str]) -> tuple[float, list[str]]:
        reasons: list[str] = []
        score = 0.0
        other_words, other_endpoints = self._parse(_text(other))
        text = _jaccard(self.words, other_words)
        if text:
            score += WEIGHTS["text"] * min(1.0, text * 2)  # a Jaccard of 0.5 is already very close prose
            if text >= 0.2:
                reasons.append(f"close text ({text:.0%} of words shared)")
        shared = self.endpoints & other_endpoints
        if shared:
            score += WEIGHTS["endpoints"] * min(1.0, len(shared) / max(1, min(len(self.endpoints), 3)))
            reasons.append("same endpoints or files: " + ", ".join(sorted(shared)[:3]))
        if self.product is not None and self.product.pk == other.product_id:
            score += WEIGHTS["product"]
            how = "product named in the text" if self.product.is_named_in_text else "same product"
            reasons.append(f"{how} ({self.product.name})")
        if self.report.cwe and self.report.cwe == other.cwe:
            score += WEIGHTS["cwe"]
            reasons.append(f"same {self.report.cwe}")
        if self.report.researcher_id == other.researcher_id:
            score += WEIGHTS["researcher"]
            reasons.append("same researcher (a resubmission?)")
        if same_files:
            score += WEIGHTS["attachment"]
            reasons.append("identical attachment (SHA-256 " + ", ".join(sorted(h[:12] for h in same_files)) + "…)")
        return round(min(score, 1.0), 3), reasons


def find_duplicate_candidates(report: Report, *, limit: int = 10) -> list[Candidate]:
    """The `limit` most similar other reports (open and closed; spam left out), best first."""
    product = _product_of(report)
    own_hashes = set(Attachment.objects.filter(report=report).values_list("sha256", flat=True))
    ids = _gather(report, product, own_hashes)
    if not ids:
        return []
    rows = [_Row(*values) for values in Report.objects.filter(pk__in=ids).order_by().values_list(*_ROW_FIELDS)]
    hashes_of: dict[int, set[str]] = {}
    if own_hashes:
        shared_files = Attachment.objects.filter(report_id__in=ids, sha256__in=own_hashes)
        for report_id, sha256 in shared_files.values_list("report_id", "sha256"):
            hashes_of.setdefault(report_id, set()).add(sha256)
    scorer = _Scorer(report, product, own_hashes)
    scored = [(*scorer.score(row, hashes_of.get(row.pk, set())), row) for row in rows]
    best = sorted(
        (entry for entry in scored if entry[0] > 0), key=lambda entry: (-entry[0], entry[2].created_at, entry[2].pk)
    )[:limit]
    loaded = Report.objects.select_related("product").in_bulk([row.pk for _score, _reasons, row in best])
    return [Candidate(report=loaded[row.pk], score=score, reasons=reasons) for score, reasons, row in best]


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
