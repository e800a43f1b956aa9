"""Researchers' own accounts in the portal: sign up, confirm the address, and the profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from vulndesk.accounts.forms import ProfileForm, SignUpForm, TwoFactorCodeForm
from vulndesk.accounts.models import TotpDevice, User
from vulndesk.accounts.services import (
    check_two_factor_code,
    confirm_two_factor,
    disable_two_factor,
    has_two_factor,
    provisioning_uri,
    register_researcher,
    start_two_factor_setup,
    update_profile,
    verify_email,
)
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


# Two-factor sign-in ------------------------------------------------------------------------------

PENDING_USER_KEY = "two_factor_user_id"
PENDING_NEXT_KEY = "two_factor_next"


class SignInView(auth_views.LoginView):
    """Password first; a person with an authenticator then gives a code before being signed in."""

    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not has_two_factor(user):
            return super().form_valid(form)
        # Not signed in yet: the session only remembers who passed the password step.
        self.request.session.cycle_key()
        self.request.session[PENDING_USER_KEY] = user.pk
        self.request.session[PENDING_NEXT_KEY] = self.get_success_url()
        return redirect("login_two_factor")


@require_http_methods(["GET", "POST"])
def login_two_factor(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_USER_KEY)
    user = User.objects.filter(pk=pending, is_active=True).first() if isinstance(pending, int) else None
    if user is None:
        return redirect("login")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accepted = check_two_factor_code(user, code=form.cleaned_data["code"])
        except RateLimited as error:
            form.add_error(None, str(error))
        else:
            if accepted:
                next_url = request.session.pop(PENDING_NEXT_KEY, "")
                request.session.pop(PENDING_USER_KEY, None)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
                return redirect(next_url if next_url and safe else "home")
            form.add_error("code", "That code is not right. Type the current six digits from your app.")
    return render(request, "accounts/login_two_factor.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (new secret → confirm with a code) or off (with a code)."""
    user = signed_in_user(request)
    action = request.POST.get("action", "")
    form = TwoFactorCodeForm(request.POST if action in {"confirm", "disable"} else None)
    try:
        if action == "start":
            start_two_factor_setup(user)
        elif action == "confirm" and form.is_valid():
            confirm_two_factor(user, code=form.cleaned_data["code"])
            messages.success(request, "Two-factor sign-in is on. You will be asked for a code each time you sign in.")
            return redirect("profile")
        elif action == "disable" and form.is_valid():
            disable_two_factor(user, code=form.cleaned_data["code"])
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("two_factor_setup")
    except RuleViolation as error:
        form.add_error("code" if error.field == "code" else None, str(error))
    device = TotpDevice.objects.filter(user=user).first()
    context = {
        "device": device,
        "form": form,
        "uri": provisioning_uri(device) if device and not device.is_confirmed else "",
    }
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)
