"""SSVC: every row of CERT/CC's official tables, decision point versions, the API and recorded decisions."""

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import VulnerabilityFactory
from vulndesk.scoring import ssvc
from vulndesk.scoring.models import SsvcAssessment

Api = Callable[[User | None], ApiClient]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return [{key.strip(): value.strip() for key, value in row.items()} for row in csv.DictReader(file)]


def test_every_supplier_table_row(standards_dir: Path) -> None:
    rows = _rows(standards_dir / "ssvc" / "supplier-options.csv")

    mismatches = [
        row["row"]
        for row in rows
        if ssvc.supplier_decision(
            exploitation=row["Exploitation"],
            utility_value=row["Utility"],
            technical_impact=row["Technical Impact"],
            public_safety_impact=row["Public-Safety Impact"],
        ).outcome
        != row["Priority"]
    ]

    assert len(rows) == len(ssvc.SUPPLIER_TABLE) == 36
    assert mismatches == []


def test_every_deployer_table_row(standards_dir: Path) -> None:
    rows = _rows(standards_dir / "ssvc" / "deployer-options.csv")

    mismatches = [
        row["row"]
        for row in rows
        if ssvc.deployer_decision(
            exploitation=row["Exploitation"],
            exposure=row["Exposure"],
            automatable=row["Automatable"],
            human_impact_value=row["Human Impact"],
        ).outcome
        != row["Priority"]
    ]

    assert len(rows) == len(ssvc.DEPLOYER_TABLE) == 72
    assert mismatches == []


def test_every_utility_child_tree_row(standards_dir: Path) -> None:
    rows = _rows(standards_dir / "ssvc" / "child_tree_utility.csv")

    assert [ssvc.utility(row["Automatable"], row["Value Density"]) for row in rows] == [row["Utility"] for row in rows]
    assert len(rows) == len(ssvc.UTILITY_TABLE)


def test_every_human_impact_child_tree_row(standards_dir: Path) -> None:
    rows = _rows(standards_dir / "ssvc" / "child_tree_human-impact_v2.csv")

    derived = [ssvc.human_impact(row["Situated Safety Impact"], row["Mission Impact"]) for row in rows]

    assert derived == [row["Human Impact"].lower() for row in rows]
    assert len(rows) == len(ssvc.HUMAN_IMPACT_TABLE) == 25


def test_automatable_matches_the_official_decision_point(standards_dir: Path) -> None:
    import json  # noqa: PLC0415  # only this test reads JSON

    official = json.loads((standards_dir / "ssvc" / "automatable_2_0_0.json").read_text())

    assert (ssvc.AUTOMATABLE.name, ssvc.AUTOMATABLE.version, ssvc.AUTOMATABLE.key) == (
        official["name"],
        official["version"],
        official["key"],
    )
    assert [value.lower() for value in ssvc.AUTOMATABLE.values] == [v["name"].lower() for v in official["values"]]


def test_a_decision_carries_each_decision_points_version() -> None:
    decision = ssvc.supplier_decision(
        exploitation="active",
        automatable="yes",
        value_density="concentrated",
        technical_impact="total",
        public_safety_impact="minimal",
    )

    assert decision.outcome == "immediate"
    assert decision.inputs["E"] == ("Exploitation", "1.1.0", "active")
    assert decision.inputs["U"] == ("Utility", "1.0.1", "super effective")
    assert (
        decision.vector == "supplier E:active/A:yes/VD:concentrated/U:super effective/TI:total/PSI:minimal → immediate"
    )


def test_deployer_derives_human_impact_from_safety_and_mission() -> None:
    decision = ssvc.deployer_decision(
        exploitation="PoC", exposure="open", automatable="no", safety_impact="Major", mission_impact="MEF Failure"
    )

    assert (decision.inputs["HI"][2], decision.outcome) == ("high", "scheduled")


def test_unknown_value_names_the_decision_point() -> None:
    with pytest.raises(ssvc.InvalidSsvcValue, match=r"Technical Impact 1\.0\.0 has no value 'huge'"):
        ssvc.supplier_decision(
            exploitation="none", utility_value="efficient", technical_impact="huge", public_safety_impact="minimal"
        )


def test_supplier_without_utility_or_its_inputs_is_refused() -> None:
    with pytest.raises(ssvc.InvalidSsvcValue, match="Give Utility"):
        ssvc.supplier_decision(exploitation="none", technical_impact="total", public_safety_impact="minimal")


def test_api_evaluates_the_supplier_tree(api: Api, analyst: User) -> None:
    body = {"exploitation": "PoC", "automatable": "yes", "value_density": "diffuse", "technical_impact": "total",
            "public_safety_impact": "significant"}  # fmt: skip

    response = api(analyst).post("/scoring/ssvc", body)

    assert response.status_code == 200
    result = response.json()
    assert result["outcome"] == "immediate"
    assert result["decision_points"]["PSI"] == {
        "name": "Public Safety Impact",
        "version": "2.0.1",
        "value": "significant",
    }


def test_api_missing_decision_point_is_422_naming_it(api: Api, analyst: User) -> None:
    body = {"tree": "deployer", "exploitation": "none", "automatable": "no", "human_impact": "low"}

    response = api(analyst).post("/scoring/ssvc", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["exposure"]


def test_api_unknown_value_is_422(api: Api, analyst: User) -> None:
    response = api(analyst).post("/scoring/ssvc", {"exploitation": "rampant"})

    assert response.status_code == 422
    assert problem_fields(response) == ["exploitation"]


def test_analyst_records_a_decision_with_versions(api: Api, analyst: User, engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    body = {"exploitation": "none", "utility": "laborious", "technical_impact": "partial",
            "public_safety_impact": "minimal", "rationale": "Needs a malicious admin"}  # fmt: skip

    response = api(analyst).post(f"/vulnerabilities/{vulnerability.pk}/ssvc", body)

    assert response.status_code == 201
    stored = SsvcAssessment.objects.get(vulnerability=vulnerability)
    assert (stored.outcome, stored.decision_points["TI"]["version"], stored.rationale) == (
        "defer",
        "1.0.0",
        "Needs a malicious admin",
    )
    assert AuditEvent.objects.filter(tag="vulnerability:ssvc_decided").exists()
    listed = api(engineer).get(f"/vulnerabilities/{vulnerability.pk}/ssvc").json()
    assert [item["outcome"] for item in listed] == ["defer"]


def test_researcher_gets_404_on_ssvc(api: Api, researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(researcher).get(f"/vulnerabilities/{vulnerability.pk}/ssvc")

    assert response.status_code == 404


def test_engineer_may_not_record_ssvc(api: Api, engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    body = {"exploitation": "none", "utility": "laborious", "technical_impact": "partial", "public_safety_impact": "minimal"}  # fmt: skip

    response = api(engineer).post(f"/vulnerabilities/{vulnerability.pk}/ssvc", body)

    assert response.status_code == 403
