from django.db.models import QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, can
from vulndesk.remediation.models import Fix


def list_fixes_for_user(
    user: User, *, vulnerability_id: int | None = None, release_id: int | None = None, state: str | None = None
) -> QuerySet[Fix]:
    if not can(user, Permission.FIX_VIEW):
        return Fix.objects.none()
    fixes = Fix.objects.select_related("vulnerability", "product_version__product", "team", "target_release")
    if vulnerability_id is not None:
        fixes = fixes.filter(vulnerability_id=vulnerability_id)
    if release_id is not None:
        fixes = fixes.filter(target_release_id=release_id)
    if state:
        fixes = fixes.filter(state=state)
    return fixes


def get_fix_for_user(user: User, fix_id: int, *, need: Permission = Permission.FIX_VIEW) -> Fix:
    fix = Fix.objects.select_related("vulnerability", "product_version__product", "team").filter(pk=fix_id).first()
    if fix is None or not can(user, need, fix):
        raise Http404("No such fix.")
    return fix
