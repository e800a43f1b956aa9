"""Scoring figures for `make bench`: CVSS scoring rate, EPSS import time, priority recomputation after a KEV import.

Runs in the bench's child process after the report list figures (Django set up, database
migrated and seeded with reports). Everything goes through the scoring services, the way the
`vulndesk threat import` command and the API call them.
"""

import datetime as dt
import gzip
import itertools
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from django.utils import timezone

from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import Report
from vulndesk.scoring.models import Vulnerability
from vulndesk.scoring.services import import_epss, import_kev, recompute_priorities, score_vector
from vulndesk.scoring.threat_files import KevCatalog, parse_epss
from vulndesk.triage.models import Case, CaseReport

CVSS31_METRICS = {
    "AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "NLH", "I": "NLH", "A": "NLH",
}  # fmt: skip
CVSS40_METRICS = {
    "AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA", "VC": "HLN", "VI": "HLN", "VA": "HLN",
    "SC": "HLN", "SI": "HLN", "SA": "HLN",
}  # fmt: skip
BATCH = 5_000


def _vectors(rng: random.Random, prefix: str, metrics: dict[str, str], count: int) -> list[str]:
    return [prefix + "/".join(f"{key}:{rng.choice(values)}" for key, values in metrics.items()) for _ in range(count)]


def _cvss_rate(rng: random.Random, count: int) -> dict[str, float]:
    rates = {}
    for version, prefix, metrics in (("3.1", "CVSS:3.1/", CVSS31_METRICS), ("4.0", "CVSS:4.0/", CVSS40_METRICS)):
        vectors = _vectors(rng, prefix, metrics, count)
        started = time.perf_counter()
        for vector in vectors:
            score_vector(vector)
        rates[version] = count / (time.perf_counter() - started)
        print(
            f"CVSS {version}: {rates[version]:,.0f} vectors scored per second (score_vector, {count:,} random vectors)"
        )
    return rates


def _epss_file(folder: Path, rows: int, rng: random.Random) -> Path:
    """A synthetic EPSS file shaped like FIRST's daily epss_scores-YYYY-MM-DD.csv.gz."""
    path = folder / "epss_scores-bench.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as file:
        file.write("#model_version:v2025.03.14,score_date:2026-11-27T00:00:00Z\ncve,epss,percentile\n")
        for number in range(rows):
            year = 1999 + number % 28
            file.write(f"CVE-{year}-{10000 + number},{rng.random() ** 6:.5f},{rng.random():.5f}\n")
    return path


def _time_epss(path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    with path.open("rb") as stream:
        scores = parse_epss(stream)
    parsed = time.perf_counter() - started
    record = import_epss(scores, file_name=path.name, actor=None)
    return parsed, time.perf_counter() - started, record.created


def _seed_vulnerabilities(count: int, rng: random.Random) -> list[int]:
    """`count` vulnerabilities in cases of four, each case with one of the seeded reports."""
    report_ids = list(Report.objects.values_list("pk", flat=True)[: count // 4 + 1])
    cases = Case.objects.bulk_create(
        [Case(title=f"Bench case {number}") for number in range(count // 4 + 1)], batch_size=BATCH
    )
    CaseReport.objects.bulk_create(
        [CaseReport(case=case, report_id=report) for case, report in zip(cases, report_ids, strict=False)],
        batch_size=BATCH,
    )
    severities, impacts = list(Severity.values), list(ImpactType.values)
    Vulnerability.objects.bulk_create(
        [
            Vulnerability(
                case=cases[number // 4],
                cve_id=f"CVE-{1999 + number % 28}-{10000 + number}",
                title=f"Bench vulnerability {number}",
                impact_type=rng.choice(impacts),
                severity=rng.choice(severities),
            )
            for number in range(count)
        ],
        batch_size=BATCH,
    )
    return list(Vulnerability.objects.values_list("pk", flat=True))


def _kev_catalog(entries: int, vulnerabilities: int) -> KevCatalog:
    """A KEV catalog of the real one's size whose entries hit some of the seeded CVE ids."""
    step = max(1, vulnerabilities // entries)
    numbers = itertools.islice(range(0, vulnerabilities, step), entries)
    today = timezone.now().date()
    return KevCatalog(
        "bench",
        today,
        [
            {
                "cve_id": f"CVE-{1999 + number % 28}-{10000 + number}",
                "vendor_project": "Bench",
                "product": "Bench",
                "vulnerability_name": "Bench",
                "date_added": today - dt.timedelta(days=number % 700),
                "due_date": None,
                "short_description": "",
                "required_action": "",
                "known_ransomware_campaign_use": "Unknown",
            }
            for number in numbers
        ],
    )


def run(*, epss_rows: int, vulnerabilities: int, kev_entries: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    print("\n--- Scoring ---")
    rates = _cvss_rate(rng, 5_000)

    with tempfile.TemporaryDirectory(prefix="vulndesk-bench-epss-") as folder:
        path = _epss_file(Path(folder), epss_rows, rng)
        parsed, first, created = _time_epss(path)
        print(
            f"EPSS import, {epss_rows:,} rows (gzip), first time: {first:.1f} s ({parsed:.1f} s reading and checking)"
        )
        _parsed, again, _created = _time_epss(path)
        print(f"EPSS import, the same file again (all updates): {again:.1f} s")

    print(f"Seeding {vulnerabilities:,} vulnerabilities…")
    ids = _seed_vulnerabilities(vulnerabilities, rng)
    started = time.perf_counter()
    recompute_priorities(ids, actor=None, reason="bench")
    initial = time.perf_counter() - started
    print(f"Priority of {len(ids):,} vulnerabilities computed from scratch: {initial:.1f} s")
    started = time.perf_counter()
    record = import_kev(_kev_catalog(kev_entries, vulnerabilities), file_name="kev-bench.json", actor=None)
    kev_seconds = time.perf_counter() - started
    print(
        f"KEV import, {record.rows:,} entries matching {record.matched_vulnerabilities:,} vulnerabilities, "
        f"re-prioritizing them: {kev_seconds:.1f} s"
    )
    started = time.perf_counter()
    changed = recompute_priorities(ids, actor=None, reason="bench")
    full = time.perf_counter() - started
    print(f"Priority recomputation for all {len(ids):,} vulnerabilities after the KEV import: {full:.1f} s "
          f"({changed:,} changed)")  # fmt: skip
    return {
        "cvss_per_second": rates,
        "epss_rows": epss_rows,
        "epss_first_import_seconds": first,
        "epss_reimport_seconds": again,
        "epss_created": created,
        "vulnerabilities": len(ids),
        "priority_initial_seconds": initial,
        "kev_import_seconds": kev_seconds,
        "kev_matched": record.matched_vulnerabilities,
        "priority_recompute_after_kev_seconds": full,
    }
