from decimal import Decimal

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.factories import CaseFactory, VulnerabilityFactory
from vulndesk.scoring.models import Vulnerability
from vulndesk.scoring.services import VulnerabilityDetails, create_vulnerability, update_vulnerability

RCE = VulnerabilityDetails(
    title="Heap overflow in image decoder",
    impact_type="rce",
    severity="critical",
    cve_id="cve-2026-41234",
    cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
)


def test_vulnerability_gets_its_score_from_the_vector(analyst: User) -> None:
    vulnerability = create_vulnerability(CaseFactory.create(), RCE, actor=analyst)

    assert vulnerability.cve_id == "CVE-2026-41234"
    assert vulnerability.cvss_score == Decimal("8.8")
    assert vulnerability.cvss_version == "3.1"


def test_cvss_4_vectors_are_scored(analyst: User) -> None:
    details = VulnerabilityDetails(
        title="t",
        impact_type="rce",
        severity="critical",
        cvss_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    )

    vulnerability = create_vulnerability(CaseFactory.create(), details, actor=analyst)

    assert (vulnerability.cvss_version, vulnerability.cvss_score) == ("4.0", Decimal("9.3"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cvss_vector": "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, "cvss_vector"),
        ({"cvss_vector": "AV:N/AC:L"}, "cvss_vector"),
        ({"cve_id": "CVE-26-1"}, "cve_id"),
        ({"severity": "severe"}, "severity"),
        ({"impact_type": "xss"}, "impact_type"),
        ({"title": ""}, "title"),
        ({"cwe": "79"}, "cwe"),
    ],
)
def test_bad_details_are_refused_with_the_field_named(analyst: User, change: dict[str, str], field: str) -> None:
    details = VulnerabilityDetails(**(RCE.__dict__ | change))

    with pytest.raises(RuleViolation) as raised:
        create_vulnerability(CaseFactory.create(), details, actor=analyst)

    assert raised.value.field == field
    assert not Vulnerability.objects.exists()


def test_a_cve_id_is_recorded_once(analyst: User) -> None:
    VulnerabilityFactory.create(cve_id="CVE-2026-41234")

    with pytest.raises(RuleViolation, match="already recorded"):
        create_vulnerability(CaseFactory.create(), RCE, actor=analyst)


def test_rescoring_keeps_old_and_new_vector_and_the_rationale(analyst: User) -> None:
    vulnerability = create_vulnerability(CaseFactory.create(), RCE, actor=analyst)
    lower = VulnerabilityDetails(**(RCE.__dict__ | {"cvss_vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}))

    update_vulnerability(vulnerability, lower, actor=analyst, rationale="Needs a local file")

    event = AuditEvent.objects.get(tag="vulnerability:updated")
    assert event.changes["cvss_vector"] == [RCE.cvss_vector, lower.cvss_vector]
    assert event.changes["cvss_score"] == ["8.8", "7.8"]
    assert event.rationale == "Needs a local file"


def test_updating_with_the_same_details_records_nothing(analyst: User) -> None:
    vulnerability = create_vulnerability(CaseFactory.create(), RCE, actor=analyst)

    update_vulnerability(vulnerability, RCE, actor=analyst)

    assert not AuditEvent.objects.filter(tag="vulnerability:updated").exists()
