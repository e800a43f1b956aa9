"""Measuring the bug bar against reality: MSRC's published severities for one monthly release.

Reads the per-CVE table derived from Microsoft's CVRF document (../shared/standards/msrc,
columns cve, impact, max_severity, cvss_vector, assigning_cna, …), proposes a severity for
each CVE from its impact type and the conditions its CVSS vector implies, and compares.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vulndesk.core.taxonomy import ImpactType
from vulndesk.lib.cvss_vectors import InvalidCvssVector, score_cvss_vector
from vulndesk.scoring.bug_bar import DEFAULT_RULES, Rule, conditions_from_cvss, propose_severity

IMPACT_TYPES = {label: value for value, label in ImpactType.choices}
REQUIRED_COLUMNS = {"cve", "impact", "max_severity", "cvss_vector", "assigning_cna"}


@dataclass(frozen=True)
class Comparison:
    cve: str
    title: str
    impact: str
    vector: str
    published: str
    proposed: str
    rule: str
    is_microsoft_assigned: bool

    @property
    def agrees(self) -> bool:
        return self.published == self.proposed


@dataclass
class Agreement:
    compared: list[Comparison] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (cve, why)

    def share(self, *, microsoft_only: bool) -> tuple[int, int]:
        rows = [row for row in self.compared if row.is_microsoft_assigned or not microsoft_only]
        return sum(row.agrees for row in rows), len(rows)

    @property
    def disagreements(self) -> list[Comparison]:
        return [row for row in self.compared if not row.agrees]


def measure_agreement(paths: Iterable[Path], rules: tuple[Rule, ...] = DEFAULT_RULES) -> Agreement:
    """Compare the bug bar's proposals with MSRC's published maximum severity, CVE by CVE."""
    result = Agreement()
    for path in paths:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: not an MSRC CVE table; missing columns {', '.join(sorted(missing))}.")
            for row in reader:
                _compare(row, result, rules)
    return result


def _compare(row: dict[str, str], result: Agreement, rules: tuple[Rule, ...]) -> None:
    cve = row["cve"]
    if not row["max_severity"]:
        result.skipped.append((cve, f"no MSRC severity (assigned by {row['assigning_cna'] or 'unknown'})"))
        return
    impacts = [IMPACT_TYPES.get(label.strip()) for label in row["impact"].split(";") if label.strip()]
    if len(impacts) != 1 or impacts[0] is None:
        result.skipped.append((cve, f"impact {row['impact']!r} is not one known impact type"))
        return
    try:
        metrics = score_cvss_vector(row["cvss_vector"]).metrics
    except InvalidCvssVector:
        result.skipped.append((cve, f"no usable CVSS vector ({row['cvss_vector'] or 'empty'})"))
        return
    proposal = propose_severity(conditions_from_cvss(impacts[0], metrics), rules)
    result.compared.append(
        Comparison(
            cve=cve,
            title=row.get("title", ""),
            impact=impacts[0],
            vector=row["cvss_vector"],
            published=row["max_severity"].lower(),
            proposed=proposal.severity,
            rule=proposal.rule.name,
            is_microsoft_assigned=row["assigning_cna"] == "Microsoft",
        )
    )
