"""Messages for tests, written through the services so rendering and rules apply."""

from vulndesk.accounts.models import User
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import post_message
from vulndesk.triage.models import Case


def report_message(report: Report, author: User, body: str = "Hello", channel: str = Channel.RESEARCHER) -> Message:
    return post_message(Thread(report=report), channel=channel, body=body, actor=author)


def case_note(case: Case, author: User, body: str = "Case note") -> Message:
    return post_message(Thread(case=case), channel=Channel.INTERNAL, body=body, actor=author)
