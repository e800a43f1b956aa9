"""`{% load permissions %}` … `{% if user|can:"report:view" %}`: the one permission check, in templates.

Templates ask the same `can()` the views ask, so navigation never shows a link its page would refuse.
"""

from typing import Any

from django import template

from vulndesk.core.permissions import Permission
from vulndesk.core.permissions import can as user_can

register = template.Library()


@register.filter
def can(user: Any, permission: str) -> bool:
    return user_can(user, Permission(permission))
