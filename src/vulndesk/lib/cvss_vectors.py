"""Parsing and scoring CVSS vectors with the `cvss` library, with messages a person can act on.

CVSS 3.1 and 4.0 are what analysts write; 2.0 and 3.0 are scored too because imported data
(CVE records, old advisories) still carries them. For 3.x the three scores are base, temporal
and environmental; CVSS 4.0 has one score whose name says which metric groups fed it
(CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE, per the 4.0 specification's nomenclature).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

# The first quoted metric in the library's messages: `Unknown value "Q" in field "AV:Q"`,
# `Missing mandatory metrics "A"`, `Duplicate metric "AV"`, `... CVSS4 vector "E:Q"`.
_METRIC_IN_MESSAGE = re.compile(r'(?:field|metrics?|vector) "([A-Za-z]+)')
_CVSS4_BASE = ("AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA")
_CVSS4_THREAT = ("E",)
_CVSS4_ENVIRONMENTAL = ("CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA")
RATINGS = ("None", "Low", "Medium", "High", "Critical")


class InvalidCvssVector(ValueError):
    """A vector that cannot be scored; `metric` names the culprit when one metric is to blame."""

    def __init__(self, message: str, *, metric: str | None = None) -> None:
        self.metric = metric
        super().__init__(message)


@dataclass(frozen=True)
class CvssScore:
    version: str
    vector: str
    base_score: Decimal
    # The qualitative rating (None/Low/Medium/High/Critical) of `overall_score`.
    rating: str
    temporal_score: Decimal | None = None
    environmental_score: Decimal | None = None
    base_rating: str = ""
    # CVSS 4.0 only: the one score and its nomenclature (CVSS-B … CVSS-BTE).
    score: Decimal | None = None
    nomenclature: str = ""
    # The metrics written in the vector (not the defaults the library fills in).
    metrics: dict[str, str] = field(default_factory=dict)

    @property
    def overall_score(self) -> Decimal:
        """The score to act on: CVSS 4.0's single score, else the most specific 3.x/2.0 score.

        For 3.x the library carries the base score through when no temporal or environmental
        metric is given, so the environmental score is always the right one; 2.0 leaves them None.
        """
        if self.score is not None:
            return self.score
        return self.environmental_score or self.temporal_score or self.base_score


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rating4(score: Decimal) -> str:
    # CVSS 4.0 specification, section 6: the same bands as 3.x.
    if score == 0:
        return "None"
    return "Low" if score < 4 else "Medium" if score < 7 else "High" if score < 9 else "Critical"


def _written_metrics(vector: str) -> dict[str, str]:
    parts = vector.split("/")
    if parts and parts[0].startswith("CVSS:"):
        parts = parts[1:]
    return dict(part.split(":", 1) for part in parts if ":" in part)


def _score(vector: str) -> CvssScore:
    metrics = _written_metrics(vector)
    if vector.startswith("CVSS:4.0/"):
        cvss4 = CVSS4(vector)
        has_threat = any(metrics.get(key, "X") != "X" for key in _CVSS4_THREAT)
        has_environmental = any(metrics.get(key, "X") != "X" for key in _CVSS4_ENVIRONMENTAL)
        nomenclature = "CVSS-B" + ("T" if has_threat else "") + ("E" if has_environmental else "")
        score = Decimal(str(cvss4.base_score))
        base = score
        if nomenclature != "CVSS-B":
            # The library scores whatever groups are present; CVSS-B itself needs the base metrics alone.
            base_vector = "CVSS:4.0/" + "/".join(f"{key}:{metrics[key]}" for key in _CVSS4_BASE)
            base = Decimal(str(CVSS4(base_vector).base_score))
        return CvssScore(
            "4.0", cvss4.clean_vector(), base, str(cvss4.severity), score=score, nomenclature=nomenclature,
            base_rating=_rating4(base), metrics=metrics,
        )  # fmt: skip
    if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        cvss3 = CVSS3(vector)
        base, temporal, environmental = cvss3.scores()
        return CvssScore(
            vector[5:8], cvss3.clean_vector(), Decimal(str(base)), str(cvss3.severities()[2]),
            _decimal(temporal), _decimal(environmental), base_rating=str(cvss3.severities()[0]), metrics=metrics,
        )  # fmt: skip
    if vector.startswith("AV:"):
        cvss2 = CVSS2(vector)
        base2, temporal2, environmental2 = cvss2.scores()
        most_specific = 2 if environmental2 is not None else 1 if temporal2 is not None else 0
        return CvssScore(
            "2.0", cvss2.clean_vector(), Decimal(str(base2)), str(cvss2.severities()[most_specific]),
            _decimal(temporal2), _decimal(environmental2), base_rating=str(cvss2.severities()[0]), metrics=metrics,
        )  # fmt: skip
    raise InvalidCvssVector(
        "Invalid CVSS vector: it must start with CVSS:3.1/ or CVSS:4.0/ "
        "(e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)."
    )


def score_cvss_vector(vector: str) -> CvssScore:
    """Score a CVSS 2.0, 3.0, 3.1 or 4.0 vector, or raise InvalidCvssVector saying what is wrong."""
    vector = vector.strip()
    try:
        return _score(vector)
    except CVSSError as error:
        found = _METRIC_IN_MESSAGE.search(str(error))
        metric = found.group(1) if found else None
        raise InvalidCvssVector(f"Invalid CVSS vector: {error}.", metric=metric) from None
