"""Parsing and scoring CVSS vectors with the `cvss` library, with messages a person can act on."""

from dataclasses import dataclass
from decimal import Decimal

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError


class InvalidCvssVector(ValueError):
    pass


@dataclass(frozen=True)
class CvssScore:
    version: str
    vector: str
    base_score: Decimal
    rating: str


def score_cvss_vector(vector: str) -> CvssScore:
    """Score a CVSS 2.0, 3.0, 3.1 or 4.0 vector, or raise InvalidCvssVector saying what is wrong."""
    vector = vector.strip()
    try:
        if vector.startswith("CVSS:4.0/"):
            cvss4 = CVSS4(vector)
            return CvssScore("4.0", cvss4.clean_vector(), Decimal(str(cvss4.base_score)), str(cvss4.severity))
        if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            cvss3 = CVSS3(vector)
            return CvssScore(
                vector[5:8], cvss3.clean_vector(), Decimal(str(cvss3.scores()[0])), str(cvss3.severities()[0])
            )
        if vector.startswith("AV:"):
            cvss2 = CVSS2(vector)
            return CvssScore("2.0", cvss2.clean_vector(), Decimal(str(cvss2.scores()[0])), str(cvss2.severities()[0]))
    except CVSSError as error:
        raise InvalidCvssVector(f"Invalid CVSS vector: {error}.") from None
    raise InvalidCvssVector(
        "Invalid CVSS vector: it must start with CVSS:3.1/ or CVSS:4.0/ "
        "(e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)."
    )
