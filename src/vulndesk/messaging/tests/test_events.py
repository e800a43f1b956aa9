"""CVE assignments and scheduled releases appear in the researcher threads of the case's reports."""

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.core.tests.factories import CaseFactory, ProductVersionFactory, ReleaseFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message
from vulndesk.remediation.services import create_fix, set_fix_target_release
from vulndesk.scoring.models import Vulnerability
from vulndesk.scoring.services import VulnerabilityDetails, create_vulnerability, update_vulnerability
from vulndesk.triage.models import Case, CaseReport

pytestmark = pytest.mark.django_db


def _case_with_report(researcher: User) -> tuple[Case, Report]:
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    return case, report


def _details(cve_id: str | None) -> VulnerabilityDetails:
    return VulnerabilityDetails(
        title="Parser overflow", impact_type=ImpactType.REMOTE_CODE_EXECUTION, severity=Severity.CRITICAL, cve_id=cve_id
    )


def _events(report: Report) -> list[str]:
    return list(
        Message.objects.filter(report=report, channel=Channel.RESEARCHER, kind=Message.Kind.EVENT).values_list(
            "body", flat=True
        )
    )


def test_cve_assignment_is_posted_once(researcher: User, analyst: User) -> None:
    case, report = _case_with_report(researcher)
    vulnerability = create_vulnerability(case, _details(None), actor=analyst)

    update_vulnerability(vulnerability, _details("CVE-2026-4242"), actor=analyst)
    update_vulnerability(vulnerability, _details("CVE-2026-4242"), actor=analyst)

    assert _events(report) == ["**CVE-2026-4242** has been assigned to the vulnerability in your report."]


def test_cve_given_at_creation_is_posted(researcher: User, analyst: User) -> None:
    case, report = _case_with_report(researcher)

    create_vulnerability(case, _details("CVE-2026-4343"), actor=analyst)

    assert _events(report) == ["**CVE-2026-4343** has been assigned to the vulnerability in your report."]


def test_scheduled_release_is_posted_once_per_release(researcher: User, analyst: User, coordinator: User) -> None:
    case, report = _case_with_report(researcher)
    vulnerability = create_vulnerability(case, _details(None), actor=analyst)
    release = ReleaseFactory.create()

    fix = create_fix(vulnerability, ProductVersionFactory.create(), actor=coordinator, target_release_id=release.pk)
    vulnerability = Vulnerability.objects.get(pk=vulnerability.pk)  # its case is remediating now
    create_fix(vulnerability, ProductVersionFactory.create(), actor=coordinator, target_release_id=release.pk)
    later = ReleaseFactory.create(release_date=release.release_date.replace(year=release.release_date.year + 1))
    set_fix_target_release(fix, later.pk, actor=coordinator)

    assert _events(report) == [
        f"A fix is scheduled for the security release on **{release.release_date:%d %B %Y}**.",
        f"A fix is scheduled for the security release on **{later.release_date:%d %B %Y}**.",
    ]


def test_other_researchers_reports_hear_nothing(researcher: User, outsider: User, analyst: User) -> None:
    case, _ = _case_with_report(researcher)
    elsewhere = ReportFactory.create(researcher=outsider)

    create_vulnerability(case, _details("CVE-2026-4444"), actor=analyst)

    assert _events(elsewhere) == []
