"""Small helpers every app's portal views share."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from vulndesk.accounts.models import User

PAGE_SIZE = 50


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for views behind `login_required`; refuses anyone else rather than guess."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def paginate(request: HttpRequest, items: QuerySet[Any]) -> Page[Any]:
    """One page of `items` from `?page=`; a missing or bad number gives the first or last page, never an error."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
