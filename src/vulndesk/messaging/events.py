"""Researcher-visible events from later stages, posted in the researcher threads of a case's reports.

Called by the triage, scoring and remediation services in their own transaction (the one sanctioned
way those apps reach messaging; see docs/decisions/0006-messaging-channels-outbox.md).
Each event also goes out by mail through the outbox, like every researcher-thread message.
"""

import datetime as dt

from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message
from vulndesk.messaging.services import post_report_event
from vulndesk.releases.models import Release
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case


def _case_reports(case_id: int) -> list[Report]:
    return list(Report.objects.filter(case_link__case_id=case_id).select_related("researcher"))


def _post_once(report: Report, body: str) -> Message | None:
    # The same news twice (a vulnerability saved again, a second fix for the same release) is noise.
    if Message.objects.filter(report=report, channel=Channel.RESEARCHER, kind=Message.Kind.EVENT, body=body).exists():
        return None
    return post_report_event(report, body=body)


def announce_cve_assigned(vulnerability: Vulnerability, *, previous_cve_id: str | None = None) -> list[Message]:
    """The vulnerability got a CVE id (or a different one): tell the researchers of its case."""
    if not vulnerability.cve_id or vulnerability.cve_id == previous_cve_id:
        return []
    body = f"**{vulnerability.cve_id}** has been assigned to the vulnerability in your report."
    posted = [_post_once(report, body) for report in _case_reports(vulnerability.case_id)]
    return [message for message in posted if message is not None]


def announce_release_scheduled(case: Case, release: Release) -> list[Message]:
    """A fix for the case is planned in `release`: tell the researchers its date, so they can plan their own publication."""
    body = f"A fix is scheduled for the security release on **{release.release_date:%d %B %Y}**."
    posted = [_post_once(report, body) for report in _case_reports(case.pk)]
    return [message for message in posted if message is not None]


def announce_disclosure_date_changed(
    case: Case, *, new_date: dt.date | None, previous_date: dt.date | None
) -> list[Message]:
    """The case's coordinated disclosure date was set, moved or removed: tell the researchers of its reports.

    Unlike the other events this is not posted only once per wording: a date moved away and
    back again is news both times. Saving the same date again posts nothing.
    """
    if new_date == previous_date:
        return []
    if new_date is None:
        body = (
            f"The planned disclosure date ({previous_date:%d %B %Y}) has been withdrawn. "
            "We will tell you here when a new date is agreed."
        )
    elif previous_date is None:
        body = f"The coordinated disclosure date is set to **{new_date:%d %B %Y}**."
    else:
        body = (
            f"The coordinated disclosure date has moved to **{new_date:%d %B %Y}** (it was {previous_date:%d %B %Y})."
        )
    return [post_report_event(report, body=body) for report in _case_reports(case.pk)]
