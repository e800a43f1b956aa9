"""Researchers' own account forms: signing up and the profile."""

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password

from vulndesk.accounts.models import Language


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="We send a link to confirm it, and mail about your reports goes here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(
        max_length=150, label="Your name", help_text="Shown to the security team and, if you wish, in advisories."
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text=" ".join(password_validators_help_texts()),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # Honeypot, as on the report form: hidden from people, filled in by bots.
    website = forms.CharField(
        required=False, label="Leave this field empty", widget=forms.TextInput(attrs={"tabindex": "-1"})
    )

    def clean_website(self) -> str:
        value: str = self.cleaned_data["website"]
        if value:
            raise forms.ValidationError("This field must stay empty. Clear it and try again.")
        return value

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False, label="Name")
    handle = forms.CharField(
        max_length=60, required=False, label="Handle", help_text="How advisories credit you if you prefer a handle."
    )
    preferred_language = forms.ChoiceField(choices=Language.choices, label="Preferred language")


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        max_length=8,
        label="Code from your authenticator app",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )
