"""Every published CVSS test vector in ../shared/standards/cvss scores exactly as published."""

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from vulndesk.lib.cvss_vectors import CvssScore, score_cvss_vector

# raw/*.txt lines: `VECTOR - (base, temporal, environmental)` (2.0/3.x) or `VECTOR - score`/`(score,)` (4.0).
RAW_LINE = re.compile(r"^(?P<vector>\S+) - \(?(?P<scores>[^)]*)\)?$")


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    return None if text in ("", "None") else Decimal(text)


def _published_scores(score: CvssScore) -> tuple[Decimal | None, ...]:
    if score.version == "4.0":
        return (score.score,)
    return (score.base_score, score.temporal_score, score.environmental_score)


def test_every_raw_vector_scores_as_published(standards_dir: Path) -> None:
    mismatches = []
    checked = 0

    for path in sorted((standards_dir / "cvss" / "raw").glob("vectors_*.txt")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            match = RAW_LINE.match(line.strip())
            assert match, f"{path.name}: unreadable line {line!r}"
            expected = tuple(_decimal(part) for part in match["scores"].split(",") if part.strip())
            actual = _published_scores(score_cvss_vector(match["vector"]))[: len(expected)]
            checked += 1
            if actual != expected:
                mismatches.append(f"{path.name}: {match['vector']} gave {actual}, published {expected}")

    assert checked > 7_600
    assert mismatches == []


@pytest.mark.parametrize("name", ["cvss30_vectors.csv", "cvss31_vectors.csv"])
def test_every_cvss3_csv_vector_scores_as_published(standards_dir: Path, name: str) -> None:
    with (standards_dir / "cvss" / name).open(newline="") as file:
        rows = list(csv.DictReader(file))

    mismatches = [
        row["vector"]
        for row in rows
        if _published_scores(score_cvss_vector(row["vector"]))
        != (Decimal(row["base_score"]), Decimal(row["temporal_score"]), Decimal(row["environmental_score"]))
    ]

    assert rows
    assert mismatches == []


def test_every_cvss4_csv_vector_scores_as_published(standards_dir: Path) -> None:
    with (standards_dir / "cvss" / "cvss40_vectors.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))

    mismatches = [row["vector"] for row in rows if score_cvss_vector(row["vector"]).score != Decimal(row["score"])]

    assert len(rows) == 1_694
    assert mismatches == []


def test_real_world_cisa_scores_and_ratings_agree(standards_dir: Path) -> None:
    with (standards_dir / "cvss" / "cvss3x_real_world_cisa_csaf.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))

    scores = [(row, score_cvss_vector(row["vector"])) for row in rows]

    mismatches = [
        row["vector"]
        for row, score in scores
        if (score.version, score.base_score, score.base_rating.upper())
        != (row["version"], Decimal(row["base_score"]), row["base_severity"])
    ]

    assert len(rows) == 619
    assert mismatches == []
