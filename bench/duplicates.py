"""Near-duplicates for measuring duplicate detection: generated from existing reports, with known originals.

Each near-duplicate restates one original: reworded (synonyms), reordered (sentences shuffled), or
naming the product in another language instead of picking it from the catalog. Half come from the
original's researcher (a resubmission), half from another researcher (a second finder). Most
carry a detail of the original (the endpoint), as real second reports do. `recall` then asks: is
the original among the top candidates? It also splits the answer by what the near-duplicate
shares with its original besides wording: the endpoint, the researcher, or neither. The generated
reports come from a few dozen templates, so with neither, the original is one of hundreds of
reports with the same text at a million reports: no method can tell which.

Import this module only after Django is set up.
"""

import random
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Min
from django.utils import timezone

from vulndesk.core.models import StateInterval
from vulndesk.intake.models import Report
from vulndesk.triage.duplicates import find_duplicate_candidates

SYNONYMS = {
    "stored": "persistent",
    "cross-site scripting": "XSS",
    "xss": "cross-site scripting",
    "attacker": "malicious user",
    "crafted": "specially prepared",
    "allows": "lets",
    "user": "account",
    "request": "call",
    "page": "screen",
    "file": "document",
    "bypass": "circumvention",
    "remote": "network-based",
    "memory": "heap",
    "sign in": "log in",
    "open": "visit",
    "runs": "executes",
}
# Product names as a researcher writing in another language might give them.
TRANSLATIONS = {
    "mail": "correo",
    "server": "servidor",
    "forms": "formularios",
    "chat": "Plaudern",
    "print": "impresion",
    "services": "servicios",
    "directory": "Verzeichnis",
    "docs": "documentos",
    "online": "en linea",
    "browser": "navigateur",
    "navigator": "navegador",
}
VARIANTS = ("reworded", "reordered", "translated product")
_PARAMS = ("id", "file", "path", "redirect", "q", "template", "name", "token")


@dataclass(frozen=True)
class NearDuplicate:
    report_id: int
    original_id: int
    variant: str
    shares: str = "neither"  # "endpoint", "researcher" or "neither": what else ties it to its original


SHARES = ("endpoint", "researcher", "neither")


def _reword(text: str, rng: random.Random) -> str:
    for word, other in SYNONYMS.items():
        if rng.random() < 0.8:
            text = re.sub(rf"\b{re.escape(word)}\b", other, text, flags=re.IGNORECASE)
    return text


def _reorder(text: str, rng: random.Random) -> str:
    sentences = [sentence for sentence in re.split(r"(?<=[.!?])\s+", text) if sentence]
    rng.shuffle(sentences)
    return " ".join(sentences)


def _translate(name: str) -> str:
    return " ".join(TRANSLATIONS.get(word.lower(), word) for word in name.split())


def make_near_duplicates(count: int, *, seed: int) -> list[NearDuplicate]:
    """Pick `count` originals among the reports and file one near-duplicate of each, after it."""
    rng = random.Random(seed)  # repeatable, not secret
    bounds = Report.objects.aggregate(first=Min("pk"), last=Max("pk"))
    first, last = bounds["first"] or 0, bounds["last"] or 0
    picked = sorted(rng.sample(range(first, last + 1), min(count, last - first + 1))) if last else []
    originals = list(Report.objects.filter(pk__in=picked).exclude(state=Report.State.SPAM).select_related("product"))
    researchers = sorted({original.researcher_id for original in originals})
    made: list[NearDuplicate] = []
    content_type = ContentType.objects.get_for_model(Report)
    for number, original in enumerate(originals):
        variant = VARIANTS[number % len(VARIANTS)]
        # Three in four originals name a concrete endpoint; their second report mostly names it too.
        if rng.random() < 0.75:
            endpoint = f"/{rng.choice(('api', 'admin', 'portal', 'app'))}/{rng.choice(_PARAMS)}s/{number}/export"
            detail = f" The vulnerable request is GET {endpoint}?{rng.choice(_PARAMS)}=1."
            original.description += detail
            original.save(update_fields=["description"])
        else:
            endpoint, detail = "", ""
        title, description = original.title, original.description
        product, product_other = original.product, ""
        if variant == "reworded":
            title, description = _reword(title, rng), _reword(description, rng)
        elif variant == "reordered":
            description = _reorder(description, rng)
            title = _reword(title, rng)
        else:
            product_other = _translate(original.product.name if original.product else original.product_other)
            product, description = None, _reorder(description, rng)
        if detail and rng.random() < 0.2:
            description = description.replace(detail.strip(), "")  # some researchers leave the detail out
        # Half are resubmissions by the same researcher, half a second finder's report.
        is_resubmission = rng.random() < 0.5
        researcher_id = original.researcher_id if is_resubmission else rng.choice(researchers)
        duplicate = Report.objects.create(
            researcher_id=researcher_id,
            title=title[:200],
            description=description,
            product=product,
            product_other=product_other,
            impact_type=original.impact_type,
            cwe=original.cwe if rng.random() < 0.5 else "",
        )
        StateInterval.objects.create(
            target_type=content_type, target_id=duplicate.pk, state=duplicate.state, entered_at=timezone.now()
        )
        shares = (
            "endpoint"
            if endpoint and endpoint in description
            else "researcher"
            if researcher_id == original.researcher_id
            else "neither"
        )
        made.append(NearDuplicate(duplicate.pk, original.pk, variant, shares))
    return made


def recall(near_duplicates: list[NearDuplicate], *, top: int = 10) -> dict[str, Any]:
    """Share of near-duplicates whose original is among the top candidates, and the lookup latency."""
    hits: dict[str, list[bool]] = {variant: [] for variant in VARIANTS}
    by_shares: dict[str, list[bool]] = {shares: [] for shares in SHARES}
    latencies: list[float] = []
    for near in near_duplicates:
        report = Report.objects.select_related("product").get(pk=near.report_id)
        began = time.perf_counter()
        candidates = find_duplicate_candidates(report, limit=top)
        latencies.append((time.perf_counter() - began) * 1000)
        found = any(candidate.report.pk == near.original_id for candidate in candidates)
        hits[near.variant].append(found)
        by_shares[near.shares].append(found)
    every = [hit for variant_hits in hits.values() for hit in variant_hits]
    ordered = sorted(latencies)
    return {
        "near_duplicates": len(near_duplicates),
        "recall": round(sum(every) / max(1, len(every)), 3),
        "recall_by_variant": {variant: round(sum(v) / max(1, len(v)), 3) for variant, v in hits.items()},
        "recall_by_shares": {shares: round(sum(v) / max(1, len(v)), 3) for shares, v in by_shares.items()},
        "count_by_shares": {shares: len(v) for shares, v in by_shares.items()},
        "p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "p95_ms": round(ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)], 2) if ordered else 0.0,
    }
