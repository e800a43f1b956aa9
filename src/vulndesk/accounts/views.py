"""Researchers' own accounts in the portal: sign up, confirm the address, and the profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from vulndesk.accounts.forms import ProfileForm, SignUpForm
from vulndesk.accounts.services import register_researcher, update_profile, verify_email
from vulndesk.core.errors import RateLimited, RuleViolation
from vulndesk.core.portal import signed_in_user
from vulndesk.core.ratelimit import client_address, count_attempt

PASSWORD_RESETS_PER_HOUR_PER_IP = 10


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            register_researcher(
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                client_ip=client_address(request),
            )
        except (RateLimited, RuleViolation) as error:
            field = getattr(error, "field", None)
            form.add_error(field if field in form.fields else None, str(error))
        else:
            # The same page whether or not the address already had an account: nothing leaks.
            return render(request, "accounts/signup_done.html", {"email": data["email"]})
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_safe
def signup_verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = verify_email(uidb64, token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Your email address is confirmed and you are signed in. Welcome!")
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    initial = {"display_name": user.display_name, "handle": user.handle, "preferred_language": user.preferred_language}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_profile(user, actor=user, **form.cleaned_data)
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, rate limited per client so it cannot be used to flood mailboxes."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/mail/password_reset.txt"
    subject_template_name = "accounts/mail/password_reset_subject.txt"
    extra_email_context = {"organization_name": settings.ORGANIZATION_NAME}

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            count_attempt(
                "password-reset-ip",
                client_address(self.request),
                limit=PASSWORD_RESETS_PER_HOUR_PER_IP,
                window_seconds=3600,
                message="Too many password reset requests from your network. Please try again in an hour.",
            )
        except RateLimited as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        return super().form_valid(form)
