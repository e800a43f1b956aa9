"""The message form: the channels offered are exactly the ones the writer may use."""

from typing import Any

from django import forms

from vulndesk.messaging.models import Channel, OutboundMail, PartnerOrganization, PartnerStatus
from vulndesk.scoring.models import Vulnerability

CHANNEL_LABELS = {
    Channel.INTERNAL: "Internal note (staff only, never shown to the researcher)",
    Channel.RESEARCHER: "To the researcher (shown in their thread)",
    Channel.PARTNER: "To a partner organization (only that organization sees it)",
}


class MessageForm(forms.Form):
    channel = forms.ChoiceField(widget=forms.RadioSelect, label="Post as")
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown: **bold**, *italic*, `code`, lists, [links](https://…).",
        error_messages={"required": "Write a message, or add a file."},
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        channels: frozenset[str],
        organizations: list[PartnerOrganization] | None = None,
        has_files: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Internal first and preselected for staff: a slip then stays inside the team.
        ordered = [
            channel for channel in (Channel.INTERNAL, Channel.RESEARCHER, Channel.PARTNER) if channel in channels
        ]
        if organizations:
            # Staff choose which partner's channel; a partner writes only in their own.
            self.fields["organization"] = forms.ChoiceField(
                required=False,
                label="Partner organization",
                help_text="Only for messages to a partner.",
                choices=[("", "—"), *[(str(o.pk), o.name) for o in organizations]],
            )
        elif Channel.PARTNER in ordered and len(ordered) > 1:
            ordered.remove(Channel.PARTNER)  # staff, but no partner is invited yet
        field = self.fields["channel"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(channel.value, CHANNEL_LABELS[channel]) for channel in ordered]
        if Channel.INTERNAL in ordered:
            self.fields["body"].help_text += " Mention a colleague with @name in internal notes."
        if ordered and not self.is_bound:
            self.initial.setdefault("channel", ordered[0].value)
        if len(ordered) == 1:
            field.widget = forms.HiddenInput()
        if has_files:
            self.fields["body"].required = False  # files alone are a message


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


class PartnerInviteForm(forms.Form):
    organization_name = forms.CharField(
        label="Organization", max_length=200, help_text="An existing partner's name, or a new one."
    )
    kind = forms.ChoiceField(choices=PartnerOrganization.Kind.choices)
    contact_email = forms.EmailField(
        required=False, label="Contact address", help_text="Optional: also receives the invitation and reminders."
    )
    member_emails = forms.CharField(
        required=False,
        label="Members to give access",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Email addresses, one per line; each gets a partner account limited to the cases their organization is invited to.",
    )
    shared_summary = forms.CharField(
        label="What they may know",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown. This, the vulnerabilities you share below (title and CVE) and their own channel are all they see.",
    )

    def __init__(self, *args: Any, vulnerabilities: list[Vulnerability], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vulnerabilities"] = SharedVulnerabilitiesField(vulnerabilities)


class SharedVulnerabilitiesField(forms.TypedMultipleChoiceField):
    """Which of the case's vulnerabilities an organization may see; none is shared unless ticked."""

    def __init__(self, vulnerabilities: list[Vulnerability]) -> None:
        super().__init__(
            choices=[(v.pk, f"{v.reference} {v.title}") for v in vulnerabilities],
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Vulnerabilities to share",
        )


class SharedVulnerabilitiesForm(forms.Form):
    def __init__(self, *args: Any, vulnerabilities: list[Vulnerability], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vulnerabilities"] = SharedVulnerabilitiesField(vulnerabilities)


class PartnerStatusForm(forms.Form):
    vulnerability = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=PartnerStatus.Status.choices)
    justification = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required for not affected."
    )
    tracking_id = forms.CharField(required=False, max_length=100, label="Your tracking id")
