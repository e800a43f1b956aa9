"""The portal's shell: signing in and out, the health check and the error pages."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from vulndesk.accounts.views import SignInView
from vulndesk.core.forms import EmailAuthenticationForm

logger = logging.getLogger(__name__)

# Password, then (for people who turned it on, and staff where it is required) a TOTP code.
login = SignInView.as_view(authentication_form=EmailAuthenticationForm)


class _LogoutView(auth_views.LogoutView):
    """Django's POST-only sign-out, saying on the next page that it happened."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


logout = _LogoutView.as_view()


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a trivial query, else 503; load balancers and `make run` poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The error text stays in the log: a public endpoint should not describe the database.
        logger.warning("Health check failed: the database did not answer (%s).", error)
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No RequestContext: its processors read the session and the user from the database,
    # which may be the very thing that failed. The template is self-contained for the same reason.
    template = loader.get_template("core/500.html")
    return HttpResponseServerError(template.render({"organization_name": settings.ORGANIZATION_NAME}))
