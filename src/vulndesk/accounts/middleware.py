"""Staff without a second factor, where one is required, can do nothing until they set it up."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.accounts.services import needs_two_factor_setup

# Paths a signed-in staff member without two-factor may still use: its set-up, and leaving.
_OPEN_NAMES = ("two_factor_setup", "logout")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and needs_two_factor_setup(user):
            open_paths = {reverse(name) for name in _OPEN_NAMES}
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Set up two-factor sign-in in the web UI first (Profile → Two-factor sign-in)."},
                    status=403,
                )
            if request.path not in open_paths and not request.path.startswith("/static/"):
                messages.warning(request, "Staff accounts need two-factor sign-in. Set it up to continue.")
                return redirect("two_factor_setup")
        return self.get_response(request)
