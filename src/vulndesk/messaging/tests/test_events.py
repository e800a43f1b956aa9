"""CVE assignments, scheduled releases and disclosure dates appear in the researcher threads of the case's reports."""

import datetime as dt

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.core.tests.factories import CaseFactory, ProductVersionFactory, ReleaseFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.events import announce_disclosure_date_changed
from vulndesk.messaging.models import Channel, Message, OutboundMail
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
        "Status changed to **Fix in progress**.",  # the first fix moved the case to remediating
        f"A fix is scheduled for the security release on **{later.release_date:%d %B %Y}**.",
    ]


def test_other_researchers_reports_hear_nothing(researcher: User, outsider: User, analyst: User) -> None:
    case, _ = _case_with_report(researcher)
    elsewhere = ReportFactory.create(researcher=outsider)

    create_vulnerability(case, _details("CVE-2026-4444"), actor=analyst)

    assert _events(elsewhere) == []


def test_disclosure_date_set_is_posted(researcher: User) -> None:
    case, report = _case_with_report(researcher)

    posted = announce_disclosure_date_changed(case, new_date=dt.date(2027, 3, 9), previous_date=None)

    assert [message.report_id for message in posted] == [report.pk]
    assert _events(report) == ["The coordinated disclosure date is set to **09 March 2027**."]


def test_disclosure_date_moved_names_both_dates(researcher: User) -> None:
    case, report = _case_with_report(researcher)

    announce_disclosure_date_changed(case, new_date=dt.date(2027, 4, 13), previous_date=dt.date(2027, 3, 9))

    assert _events(report) == ["The coordinated disclosure date has moved to **13 April 2027** (it was 09 March 2027)."]


def test_disclosure_date_removed_says_so(researcher: User) -> None:
    case, report = _case_with_report(researcher)

    announce_disclosure_date_changed(case, new_date=None, previous_date=dt.date(2027, 3, 9))

    assert _events(report) == [
        "The planned disclosure date (09 March 2027) has been withdrawn. We will tell you here when a new date is agreed."
    ]


def test_unchanged_disclosure_date_posts_nothing(researcher: User) -> None:
    case, report = _case_with_report(researcher)

    posted = announce_disclosure_date_changed(case, new_date=dt.date(2027, 3, 9), previous_date=dt.date(2027, 3, 9))

    assert posted == []
    assert _events(report) == []


def test_disclosure_date_moved_back_is_posted_again(researcher: User) -> None:
    case, report = _case_with_report(researcher)
    march, april = dt.date(2027, 3, 9), dt.date(2027, 4, 13)

    announce_disclosure_date_changed(case, new_date=march, previous_date=None)
    announce_disclosure_date_changed(case, new_date=april, previous_date=march)
    announce_disclosure_date_changed(case, new_date=march, previous_date=april)

    assert len(_events(report)) == 3
    assert _events(report)[-1].startswith("The coordinated disclosure date has moved to **09 March 2027**")


def test_disclosure_date_reaches_every_report_of_the_case_and_is_mailed(researcher: User, outsider: User) -> None:
    case, report = _case_with_report(researcher)
    other = ReportFactory.create(researcher=outsider, state=Report.State.CONFIRMED)
    CaseReport.objects.create(case=case, report=other)
    unrelated = ReportFactory.create(researcher=outsider)

    announce_disclosure_date_changed(case, new_date=dt.date(2027, 3, 9), previous_date=None)

    assert len(_events(report)) == len(_events(other)) == 1
    assert _events(unrelated) == []
    assert set(OutboundMail.objects.values_list("to_address", flat=True)) == {researcher.email, outsider.email}
