"""Reading cases through the caller's permissions."""

from django.db.models import QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, can
from vulndesk.triage.models import Case


def list_cases_for_user(user: User, *, state: str | None = None) -> QuerySet[Case]:
    if not can(user, Permission.CASE_VIEW):
        return Case.objects.none()
    cases = Case.objects.select_related("owner")
    if state:
        cases = cases.filter(state=state)
    return cases


def get_case_for_user(user: User, case_id: int, *, need: Permission = Permission.CASE_VIEW) -> Case:
    case = Case.objects.select_related("owner").filter(pk=case_id).first()
    if case is None or not can(user, need, case):
        raise Http404("No such case.")
    return case
