"""Forms of the portal's shell: signing in."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for what our users type: their email address."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. Check both and try again.",
    }

    def clean_username(self) -> str:
        # Accounts are stored with lower-case email (UserManager.create_user), so match that.
        return str(self.cleaned_data["username"]).strip().lower()
