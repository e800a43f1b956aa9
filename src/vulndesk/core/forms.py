"""Forms of the portal's shell: signing in; widgets every app's forms may use."""

from html import escape
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils.safestring import SafeString

from vulndesk.core.errors import RateLimited
from vulndesk.core.ratelimit import client_address, count_attempt

# Sign-in attempts per 15 minutes: per account guards one password, per client slows spraying.
SIGN_INS_PER_ACCOUNT = 10
SIGN_INS_PER_CLIENT = 50
SIGN_IN_WINDOW_SECONDS = 15 * 60


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for what our users type: their email address."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. Check both and try again. "
        "Just signed up? Open the link in the confirmation mail first.",
    }

    def clean_username(self) -> str:
        # Accounts are stored with lower-case email (UserManager.create_user), so match that.
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        # Counted before the password is checked, so guessing costs attempts whether or not it succeeds.
        email = self.cleaned_data.get("username")
        message = "Too many sign-in attempts. Wait 15 minutes, or reset your password."
        try:
            if self.request is not None:
                count_attempt(
                    "sign-in-ip",
                    client_address(self.request),
                    limit=SIGN_INS_PER_CLIENT,
                    window_seconds=SIGN_IN_WINDOW_SECONDS,
                    message=message,
                )
            if email:
                count_attempt(
                    "sign-in-account",
                    str(email),
                    limit=SIGN_INS_PER_ACCOUNT,
                    window_seconds=SIGN_IN_WINDOW_SECONDS,
                    message=message,
                )
        except RateLimited as error:
            raise forms.ValidationError(str(error), code="rate_limited") from None
        return super().clean()


class ListSelect(forms.Select):
    """A <select> built in Python: Django's template-rendered one costs an include per option,
    and a filter bar listing every product and analyst renders hundreds of them on each page view.

    The same markup as forms.Select (attributes, `selected`, optgroups), without the templates
    and without the per-option dictionaries Django builds for them.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]  # name, attributes, no options
        chosen = {str(item) for item in widget["value"]}
        parts = [f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>']
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escape(str(option_value))}">')
                parts.extend(self._option(inner_value, inner_label, chosen) for inner_value, inner_label in label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, label, chosen))
        parts.append("</select>")
        return SafeString("".join(parts))

    def _option(self, value: Any, label: Any, chosen: set[str]) -> str:
        value = "" if value is None else str(value)
        selected = ""
        if value in chosen:
            selected = " selected"
            if not self.allow_multiple_selected:
                chosen.clear()  # like Django's Select: only the first option with the value is selected
        shown = label if isinstance(label, SafeString) else escape(str(label))
        return f'<option value="{escape(value)}"{selected}>{shown}</option>'


class PlainInput(Input):
    """An <input> built in Python, with the markup of Django's input template: that template and
    its attributes include cost the queue's filter bar a render through the template engine per
    field, on the page analysts load all day. Subclass it with a Django input as the second base."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
        attributes = "".join(
            f" {escape(key)}" if item is True else f' {escape(key)}="{escape(str(item))}"'
            for key, item in widget["attrs"].items()
            if item is not False
        )
        return SafeString(f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{shown}{attributes}>')


class PlainTextInput(PlainInput, forms.TextInput):
    pass


class PlainSearchInput(PlainInput, forms.SearchInput):
    pass


class PlainNumberInput(PlainInput, forms.NumberInput):
    pass


class PlainHiddenInput(PlainInput, forms.HiddenInput):
    pass


class PlainCheckboxInput(PlainInput, forms.CheckboxInput):
    pass
