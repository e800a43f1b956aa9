"""Priority P0 to P4: the rules, the explanations, recomputation when inputs change, overrides and the queue."""

import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, ProductFactory, ReportFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.scoring.bug_bar import Conditions
from vulndesk.scoring.models import KnownExploitedVulnerability, ScoreChange, Vulnerability
from vulndesk.scoring.priority import PriorityInputs, compute_priority
from vulndesk.scoring.services import (
    assess_exploitability,
    assess_product_severity,
    decide_ssvc,
    override_priority,
    recompute_priorities,
    record_ssvc_decision,
    set_preliminary_report_priorities,
)
from vulndesk.triage.models import CaseReport

Api = Callable[[User | None], ApiClient]
KEV_DATE = dt.date(2026, 11, 20)
# The fix clock's default targets (triage.clocks.DEFAULT_TARGETS), as the services pass them.
TARGETS = {0: "7 calendar days", 1: "30 calendar days", 2: "60 calendar days", 3: "90 calendar days",
           4: "180 calendar days"}  # fmt: skip

# inputs → expected explanation (the explanation carries the priority and the response)
EXPLANATIONS = [
    (
        PriorityInputs("critical", "rce", "more_likely", is_internet_facing=True),
        "Critical RCE, exploitation more likely, internet-facing service → P0: out-of-band release, fix due in 7 calendar days",
    ),
    (
        PriorityInputs("critical", "rce", "more_likely", is_internet_facing=False),
        "Critical RCE, exploitation more likely, installed software → P1: next monthly release, fix due in 30 calendar days",
    ),
    (
        PriorityInputs("important", "eop", "less_likely"),
        "Important Elevation of Privilege, exploitation less likely → P2: an upcoming monthly release, "
        "fix due in 60 calendar days",
    ),
    (
        PriorityInputs("important", "eop", "detected", is_exploited=True),
        "Important Elevation of Privilege, exploitation detected → P0: out-of-band release, fix due in 7 calendar days",
    ),
    (
        PriorityInputs("moderate", "info", kev_date_added=KEV_DATE),
        "Moderate Information Disclosure, in CISA KEV since 2026-11-20 → P1: next monthly release, fix due in 30 calendar days",
    ),
    (
        PriorityInputs("low", "spoofing", is_publicly_disclosed=True),
        "Low Spoofing, publicly disclosed → P3: a later monthly release, fix due in 90 calendar days",
    ),
    (
        PriorityInputs("moderate", "dos", epss=0.42),
        "Moderate Denial of Service, EPSS 42% → P2: an upcoming monthly release, fix due in 60 calendar days",
    ),
    (
        PriorityInputs("important", "sfb", ssvc_outcome="immediate"),
        "Important Security Feature Bypass, SSVC immediate → P0: out-of-band release, fix due in 7 calendar days",
    ),
    (
        PriorityInputs("important", "tampering", "unlikely", ssvc_outcome="defer"),
        "Important Tampering, exploitation unlikely, SSVC defer → P3: a later monthly release, "
        "fix due in 90 calendar days",
    ),
    (
        PriorityInputs("low", "did"),
        "Low Defense in Depth → P4: a future release or the next version, fix due in 180 calendar days",
    ),
]


@pytest.mark.parametrize(("inputs", "explanation"), EXPLANATIONS)
def test_priority_explanations(inputs: PriorityInputs, explanation: str) -> None:
    assert compute_priority(inputs, TARGETS).explanation == explanation


def test_publicly_disclosed_alone_never_reaches_p0() -> None:
    assert compute_priority(PriorityInputs("critical", "rce", is_publicly_disclosed=True, epss=0.9), TARGETS).level == 1


def test_ssvc_defer_does_not_lower_an_exploited_vulnerability() -> None:
    inputs = PriorityInputs("important", "rce", "detected", is_exploited=True, ssvc_outcome="defer")

    assert compute_priority(inputs, TARGETS).level == 0


def test_recording_a_vulnerability_computes_its_priority(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="important", impact_type="eop")

    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    vulnerability.refresh_from_db()
    assert (vulnerability.priority, vulnerability.priority_computed) == (2, 2)
    assert vulnerability.priority_explanation.startswith("Important Elevation of Privilege → P2")


def test_exploitability_change_recomputes_and_keeps_history(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="important", impact_type="eop")
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    assess_exploitability(
        vulnerability, latest_release="detected", older_releases="detected", is_publicly_disclosed=True,
        is_exploited=True, actor=analyst,
    )  # fmt: skip

    vulnerability.refresh_from_db()
    assert vulnerability.priority == 0
    change = ScoreChange.objects.filter(vulnerability=vulnerability, kind="priority").first()
    assert change is not None
    assert (change.old_value, change.new_value) == ("P2", "P0")
    assert change.rationale.startswith(
        "Exploitability assessed: Important Elevation of Privilege, exploitation detected"
    )


def test_internet_facing_product_with_more_likely_exploitation_is_p0(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="low")
    conditions = Conditions("rce", "network", False, False, True, "online_service")
    assess_product_severity(vulnerability, ProductFactory.create(), conditions, actor=analyst)

    assess_exploitability(
        vulnerability, latest_release="more_likely", older_releases="n/a", is_publicly_disclosed=False,
        is_exploited=False, actor=analyst,
    )  # fmt: skip

    vulnerability.refresh_from_db()
    assert vulnerability.priority_explanation.startswith(
        "Critical RCE, exploitation more likely, internet-facing service → P0"
    )


def test_ssvc_decision_recomputes(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="moderate", impact_type="dos")
    decision = decide_ssvc("supplier", {"exploitation": "active", "utility": "efficient",
                                        "technical_impact": "total", "public_safety_impact": "significant"})  # fmt: skip

    record_ssvc_decision(vulnerability, decision, actor=analyst)

    vulnerability.refresh_from_db()
    assert vulnerability.priority == 0


def test_reports_of_the_case_take_the_most_urgent_priority(analyst: User) -> None:
    case = CaseFactory.create()
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    CaseReport.objects.create(case=case, report=report)
    urgent = VulnerabilityFactory.create(case=case, severity="critical", impact_type="rce")
    calm = VulnerabilityFactory.create(case=case, severity="low", impact_type="did")

    recompute_priorities([urgent.pk, calm.pk], actor=analyst, reason="test")

    report.refresh_from_db()
    assert report.priority == 1


def test_override_needs_a_rationale(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    with pytest.raises(RuleViolation) as raised:
        override_priority(vulnerability, 0, actor=analyst, rationale=" ")

    assert raised.value.field == "rationale"


def test_override_wins_until_removed_and_is_audited(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="important", impact_type="eop")
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    overridden = override_priority(vulnerability, 0, actor=analyst, rationale="Customer under attack")
    restored = override_priority(overridden, None, actor=analyst, rationale="Attack contained")

    assert (overridden.priority, overridden.priority_computed) == (0, 2)
    assert (restored.priority, restored.priority_override) == (2, None)
    tags = list(AuditEvent.objects.filter(tag__startswith="vulnerability:priority").values_list("tag", flat=True))
    assert sorted(tags) == ["vulnerability:priority_overridden", "vulnerability:priority_override_removed"]


def test_api_priority_explains_and_gives_the_fix_target(api: Api, engineer: User, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="critical", impact_type="rce")
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    body = api(engineer).get(f"/vulnerabilities/{vulnerability.pk}/priority").json()

    assert (body["label"], body["action"], body["fix_target"]) == ("P1", "next monthly release", "30 calendar days")
    assert body["reasons"] == ["Critical RCE"]
    # The case has no reports, so no priority reaches triage: its fix clock goes by severity (also 30 days).
    assert body["case_fix_target"] == "30 calendar days"


def test_api_priority_gives_the_case_fix_clock_a_changed_priority_moves(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="moderate", impact_type="info")
    ReportFactory.create(state="confirmed")  # not in the case: no effect
    CaseReport.objects.create(case=vulnerability.case, report=ReportFactory.create(state="confirmed"))
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")
    before = api(analyst).get(f"/vulnerabilities/{vulnerability.pk}/priority").json()

    api(analyst).put(
        f"/vulnerabilities/{vulnerability.pk}/priority-override", {"priority": 0, "rationale": "Worm seen."}
    )
    after = api(analyst).get(f"/vulnerabilities/{vulnerability.pk}/priority").json()

    opened = vulnerability.case.created_at
    assert (before["label"], before["case_fix_target"]) == ("P3", "90 calendar days")
    assert (after["label"], after["case_fix_target"]) == ("P0", "7 calendar days")
    due = dt.datetime.fromisoformat(after["case_fix_due_at"])
    assert abs(due - (opened + dt.timedelta(days=7))) < dt.timedelta(milliseconds=1)  # JSON keeps milliseconds


def test_api_override_without_rationale_is_422(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).put(
        f"/vulnerabilities/{vulnerability.pk}/priority-override", {"priority": 0, "rationale": ""}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["rationale"]


def test_api_override_out_of_range_is_422(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).put(
        f"/vulnerabilities/{vulnerability.pk}/priority-override", {"priority": 7, "rationale": "x"}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["priority"]


def test_api_override(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="low", impact_type="did")

    body = (
        api(analyst)
        .put(f"/vulnerabilities/{vulnerability.pk}/priority-override", {"priority": 1, "rationale": "Board asked"})
        .json()
    )

    assert (body["priority"], body["computed"], body["override_rationale"]) == (1, 4, "Board asked")


def test_engineer_may_not_override(api: Api, engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(engineer).put(
        f"/vulnerabilities/{vulnerability.pk}/priority-override", {"priority": 0, "rationale": "x"}
    )

    assert response.status_code == 403


def test_researcher_gets_404_on_priority(api: Api, researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(researcher).get(f"/vulnerabilities/{vulnerability.pk}/priority")

    assert response.status_code == 404


def test_api_component_cve_matches_kev(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="important", impact_type="rce")
    KnownExploitedVulnerability.objects.create(
        cve_id="CVE-2024-3094", vendor_project="Tukaani", product="xz", vulnerability_name="xz backdoor",
        date_added=dt.date(2024, 4, 1), imported_at=dt.datetime(2024, 4, 2, tzinfo=dt.UTC),
    )  # fmt: skip

    response = api(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/component-cves", {"cve_id": "cve-2024-3094", "component": "xz 5.6.0"}
    )

    assert response.status_code == 201
    assert (response.json()["source"], response.json()["kev_date_added"]) == ("xz 5.6.0", "2024-04-01")
    vulnerability.refresh_from_db()
    assert vulnerability.priority == 0
    threat = api(analyst).get(f"/vulnerabilities/{vulnerability.pk}/threat-data").json()
    assert [item["cve_id"] for item in threat] == [vulnerability.cve_id, "CVE-2024-3094"]


def test_api_component_cve_with_bad_id_is_422(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/component-cves", {"cve_id": "xz", "component": "xz"}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["cve_id"]


def test_api_upload_imports_epss(analyst: User) -> None:
    content = b"cve,epss,percentile\nCVE-2026-10001,0.5,0.9\n"
    api_client = ApiClient(analyst)

    response = api_client._client.post(
        "/api/v1/scoring/threat-imports/epss",
        {"file": SimpleUploadedFile("epss.csv", content)},
        headers=api_client._headers,
    )

    assert response.status_code == 201
    assert (response.json()["rows"], response.json()["kind"]) == (1, "epss")


def test_api_upload_of_a_bad_file_is_422_naming_the_line(analyst: User) -> None:
    api_client = ApiClient(analyst)

    response = api_client._client.post(
        "/api/v1/scoring/threat-imports/kev",
        {"file": SimpleUploadedFile("kev.json", b'{"vulnerabilities": [{"cveID": "CVE-1"}]}')},
        headers=api_client._headers,
    )

    assert response.status_code == 422
    assert "entry 1 (CVE-1): missing" in response.json()["detail"]
    assert "Nothing was imported" in response.json()["detail"]


def test_engineer_may_not_import(engineer: User) -> None:
    api_client = ApiClient(engineer)

    response = api_client._client.post(
        "/api/v1/scoring/threat-imports/kev",
        {"file": SimpleUploadedFile("kev.json", b"{}")},
        headers=api_client._headers,
    )

    assert response.status_code == 403


def test_vulnerability_list_carries_priority(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="moderate", impact_type="info")
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    item = api(analyst).get("/vulnerabilities").json()["items"][0]

    assert (item["priority"], item["priority_override"]) == (3, None)
    assert Vulnerability.objects.get().priority == 3


def test_preliminary_priority_from_the_researchers_vector(db: None) -> None:
    wormable = ReportFactory.create(
        impact_type="rce", suggested_cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    )
    spoof = ReportFactory.create(
        impact_type="spoofing", suggested_cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N"
    )
    no_vector = ReportFactory.create(impact_type="rce")
    closed = ReportFactory.create(
        impact_type="rce", suggested_cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", state=Report.State.SPAM
    )
    out = io.StringIO()

    call_command("scoring", "prioritize-reports", stdout=out)

    priorities = dict(Report.objects.values_list("pk", "priority"))
    assert (priorities[wormable.pk], priorities[spoof.pk]) == (1, 3)
    assert (priorities[no_vector.pk], priorities[closed.pk]) == (None, None)
    assert "Gave 2 reports a preliminary priority." in out.getvalue()


def test_a_case_priority_replaces_the_preliminary_one(analyst: User) -> None:
    report = ReportFactory.create(
        impact_type="rce", suggested_cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    )
    set_preliminary_report_priorities()
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    vulnerability = VulnerabilityFactory.create(case=case, severity="low", impact_type="did")

    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    report.refresh_from_db()
    assert report.priority == 4


def test_many_affected_customers_raise_the_priority(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="moderate", impact_type="info")

    body = (
        api(analyst)
        .put(
            f"/vulnerabilities/{vulnerability.pk}/affected-customers",
            {"affected_customers": 25000, "rationale": "Telemetry"},
        )
        .json()
    )

    assert body["label"] == "P2"
    assert "25,000 customers affected" in body["reasons"]
    assert AuditEvent.objects.filter(tag="vulnerability:customers_changed").exists()


def test_negative_customers_is_422(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).put(f"/vulnerabilities/{vulnerability.pk}/affected-customers", {"affected_customers": -1})

    assert response.status_code == 422
    assert problem_fields(response) == ["affected_customers"]


def test_prioritize_reports_catches_links_made_outside_triage(analyst: User) -> None:
    case = CaseFactory.create()
    vulnerability = VulnerabilityFactory.create(case=case, severity="critical", impact_type="rce")
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")
    late = ReportFactory.create(state=Report.State.CONFIRMED)
    CaseReport.objects.create(case=case, report=late)  # not through add_report_to_case (e.g. the admin)
    out = io.StringIO()

    call_command("scoring", "prioritize-reports", stdout=out)

    late.refresh_from_db()
    assert late.priority == 1
    assert "Gave 1 reports in cases their case's priority." in out.getvalue()
