"""The message form: the channels offered are exactly the ones the writer may use."""

from typing import Any

from django import forms

from vulndesk.messaging.models import Channel

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
