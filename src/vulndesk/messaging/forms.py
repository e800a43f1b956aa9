"""The message form: the channels offered are exactly the ones the writer may use."""

from typing import Any

from django import forms

from vulndesk.messaging.models import Channel, OutboundMail

CHANNEL_LABELS = {
    Channel.INTERNAL: "Internal note (staff only, never shown to the researcher)",
    Channel.RESEARCHER: "To the researcher (shown in their thread)",
}


class MessageForm(forms.Form):
    channel = forms.ChoiceField(widget=forms.RadioSelect, label="Post as")
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown: **bold**, *italic*, `code`, lists, [links](https://…). Mention staff with @name in internal notes.",
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, channels: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Internal first and preselected for staff: a slip then stays inside the team.
        ordered = [channel for channel in (Channel.INTERNAL, Channel.RESEARCHER) if channel in channels]
        field = self.fields["channel"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(channel.value, CHANNEL_LABELS[channel]) for channel in ordered]
        if ordered and not self.is_bound:
            self.initial.setdefault("channel", ordered[0].value)
        if len(ordered) == 1:
            field.widget = forms.HiddenInput()


class MessageEditForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}))


class MailPreferenceForm(forms.Form):
    is_report_mail_off = forms.BooleanField(
        required=False,
        label="Do not email me messages on my reports",
        help_text="You will still see every message here when you sign in.",
    )
    openpgp_public_key = forms.CharField(
        required=False,
        label="OpenPGP public key",
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono", "spellcheck": "false"}),
        help_text="Paste your ASCII-armored public key (-----BEGIN PGP PUBLIC KEY BLOCK-----) to get our mail encrypted. Leave empty for plain mail.",
    )


class StaffMailPreferenceForm(MailPreferenceForm):
    notification_delivery = forms.ChoiceField(label="Email me notifications", widget=forms.RadioSelect, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["notification_delivery"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = NOTIFICATION_DELIVERY_CHOICES


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label="Status")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All"), *OutboundMail.Status.choices]


NOTIFICATION_DELIVERY_CHOICES = [
    ("immediately", "Immediately: one email per notification"),
    ("digest", "Daily digest: one email a day listing them"),
    ("off", "Off: only in vulndesk"),
]


class ResponseTemplateEditForm(forms.Form):
    name = forms.CharField(max_length=100)
    key = forms.SlugField(max_length=50, help_text="A short name for links and the API, e.g. needs-info.")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), help_text="Markdown with {variables}.")
    is_active = forms.BooleanField(required=False, label="Offer it to staff writing to researchers")
