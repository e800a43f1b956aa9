from django.db.models import QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, can
from vulndesk.releases.models import Release


def list_releases_for_user(user: User, *, state: str | None = None) -> QuerySet[Release]:
    if not can(user, Permission.RELEASE_VIEW):
        return Release.objects.none()
    releases = Release.objects.all()
    if state:
        releases = releases.filter(state=state)
    return releases


def get_release_for_user(user: User, release_id: int, *, need: Permission = Permission.RELEASE_VIEW) -> Release:
    release = Release.objects.filter(pk=release_id).first()
    if release is None or not can(user, need, release):
        raise Http404("No such release.")
    return release
