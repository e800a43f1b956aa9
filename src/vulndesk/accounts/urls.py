from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path, reverse_lazy

from vulndesk.accounts import views

urlpatterns: list[URLPattern] = [
    path("signup/", views.signup, name="signup"),
    path("signup/verify/<str:uidb64>/<str:token>/", views.signup_verify, name="signup_verify"),
    path("account/", views.profile, name="profile"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("login/code/", views.login_two_factor, name="login_two_factor"),
    # Django's password reset, with our templates; the mail goes to the account's address only.
    path(
        "password-reset/",
        views.PasswordResetView.as_view(success_url=reverse_lazy("password_reset_done")),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
