"""Forms of the triage pages: the queue's filters and a report's state change."""

import re
from typing import Any, cast

from django import forms
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product, Team
from vulndesk.core.forms import (
    ListSelect,
    PlainCheckboxInput,
    PlainHiddenInput,
    PlainNumberInput,
    PlainSearchInput,
    PlainTextInput,
)
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.triage.models import Case, Validation, ValidationReply
from vulndesk.triage.selectors import DEFAULT_QUEUE_SORT, QueueFilters, triagers

_REPORT_REFERENCE = re.compile(r"^(?:VD-R)?(\d{1,18})$", re.IGNORECASE)
QUEUE_SORTS = [
    ("priority", "Priority (P0 first)"),
    ("sla_due", "SLA due soonest"),
    ("age", "Oldest first"),
    ("-age", "Newest first"),
    ("updated", "Recently updated"),
]
SLA_CHOICES = [
    ("", "Any SLA status"),
    ("breached", "Breached"),
    ("at_risk", "At risk"),
    ("on_track", "On track"),
    ("paused", "Paused (needs info)"),
    ("stopped", "Clocks stopped"),
]


def triager_choices() -> list[tuple[str, str]]:
    """Everyone who may triage, as (id, name) choices: one query."""
    return [(str(pk), str(name or email)) for pk, name, email in triagers().values_list("pk", "display_name", "email")]


class QueueFilterForm(forms.Form):
    """GET filters of the queue. Invalid values are dropped rather than refused: it is only a view.

    Its selects are ListSelects: the queue is the page analysts load all day, and its product
    and analyst lists are long.
    """

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=PlainSearchInput(
            attrs={"accesskey": "s", "placeholder": "Words in title, description or steps; or VD-R12"}
        ),
    )
    state = forms.ChoiceField(widget=ListSelect, required=False, choices=[("", "All states"), *Report.State.choices])
    product = forms.ChoiceField(widget=ListSelect, required=False)
    team = forms.ChoiceField(widget=ListSelect, required=False)
    impact_type = forms.ChoiceField(
        widget=ListSelect, required=False, label="Impact", choices=[("", "Any impact"), *ImpactType.choices]
    )
    severity = forms.ChoiceField(
        widget=ListSelect,
        required=False,
        choices=[("", "Any severity"), *Severity.choices],
        help_text="Known once the report's case has a scored vulnerability.",
    )
    assignee = forms.ChoiceField(widget=ListSelect, required=False)
    sla = forms.ChoiceField(widget=ListSelect, required=False, label="SLA", choices=SLA_CHOICES)
    older_than_days = forms.IntegerField(
        required=False, min_value=0, max_value=36500, label="Older than (days)", widget=PlainNumberInput
    )
    low_signal = forms.ChoiceField(
        widget=ListSelect,
        required=False,
        label="Low signal",
        choices=[("", "Include low-signal"), ("no", "Hide low-signal"), ("yes", "Only low-signal")],
    )
    attachments = forms.ChoiceField(
        widget=ListSelect,
        required=False,
        label="Attachments",
        choices=[("", "With or without files"), ("yes", "Has attachments"), ("no", "No attachments")],
    )
    close_proposed = forms.BooleanField(
        required=False, label="Silent in Needs info (close?)", widget=PlainCheckboxInput
    )
    sort = forms.ChoiceField(widget=ListSelect, required=False, choices=QUEUE_SORTS, label="Sort")

    def __init__(self, *args: Any, user: User, people: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        """`people`: triager_choices(), when the page already has them (the bulk form lists the same)."""
        super().__init__(*args, **kwargs)
        # One query each, used both to render the options and to validate the choice.
        products = Product.objects.order_by("name").values_list("slug", "name", "pk")
        cast(forms.ChoiceField, self.fields["product"]).choices = [("", "All products")] + [
            (slug, name) for slug, name, _pk in products
        ]
        self._product_ids = {slug: pk for slug, _name, pk in products}
        teams = Team.objects.order_by("name").values_list("slug", "name")
        cast(forms.ChoiceField, self.fields["team"]).choices = [("", "All teams"), *teams]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "Anyone"),
            ("me", f"Me ({user})"),
            ("none", "Unassigned"),
            *(triager_choices() if people is None else people),
        ]

    def queue_filters(self) -> QueueFilters:
        self.is_valid()  # cleaned_data then holds exactly the fields that are valid
        data = self.cleaned_data
        yes_no = {"yes": True, "no": False}
        return QueueFilters(
            states=(data["state"],) if data.get("state") else (),
            product=data.get("product") or None,
            team=data.get("team") or None,
            impact_type=data.get("impact_type") or None,
            severity=data.get("severity") or None,
            assignee=data.get("assignee") or None,
            sla=data.get("sla") or None,
            older_than_days=data.get("older_than_days"),
            is_low_signal=yes_no.get(data.get("low_signal") or ""),
            has_attachments=yes_no.get(data.get("attachments") or ""),
            is_close_proposed=bool(data.get("close_proposed")),
            q=data.get("q") or None,
            product_id=self._product_ids.get(data.get("product") or ""),
        )

    def sort_order(self) -> str:
        self.is_valid()
        return str(self.cleaned_data.get("sort") or DEFAULT_QUEUE_SORT)


class ReportTransitionForm(forms.Form):
    # A plain field with a select widget: a state that is known but no longer allowed (someone
    # moved the report meanwhile) reaches the service, whose InvalidTransition says what is allowed.
    to = forms.CharField(label="Move to", widget=forms.Select)
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the report's history, for staff. Required when closing or reopening the report.",
    )
    question = forms.CharField(
        required=False,
        max_length=10_000,
        label="Question for the researcher",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only for Needs info, and required then: posted in the researcher's thread and mailed to them. "
        "The clocks pause until they answer.",
    )
    duplicate_of = forms.CharField(
        required=False,
        max_length=24,
        label="Original report",
        help_text="Only for Duplicate: the reference of the report this one duplicates, e.g. VD-R12.",
    )

    # The state the analyst saw when the page was drawn; a different one on submit is a conflict.
    expected_state = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, report: Report, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["expected_state"].initial = report.state
        allowed = report.allowed_next_states()
        self.fields["to"].widget.choices = [(state.value, state.label) for state in Report.State if state in allowed]

    def clean_to(self) -> str:
        to = str(self.cleaned_data["to"])
        if to not in Report.State.values:
            raise forms.ValidationError(f"{to!r} is not a report state.")
        return to

    def clean_duplicate_of(self) -> Report | None:
        raw = str(self.cleaned_data["duplicate_of"]).strip()
        if not raw:
            return None
        match = _REPORT_REFERENCE.match(raw)
        if match is None:
            raise forms.ValidationError("Write the original report's reference, e.g. VD-R12.")
        try:
            return get_report_for_user(self.user, int(match[1]))
        except Http404:
            raise forms.ValidationError(f"There is no report {raw}.") from None


class _ReportIds(forms.TypedMultipleChoiceField):
    """Any report ids: whether each exists and is visible is the selector's question, not a choice list's."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


class BulkActionForm(forms.Form):
    """The queue's "with the selected reports" panel: assign them, or move them with one reason."""

    report_ids = _ReportIds(coerce=int, error_messages={"required": "Tick at least one report first."})
    action = forms.ChoiceField(choices=[("assign", "Assign"), ("transition", "Move")])
    assignee = forms.ChoiceField(required=False, label="Assign to")
    to = forms.ChoiceField(required=False, label="Move to", choices=[("", "Choose a state"), *Report.State.choices])
    reason = forms.CharField(required=False, max_length=2000, label="Reason (for every report)")
    question = forms.CharField(
        required=False, max_length=10_000, label="Question (Needs info: sent to each researcher)"
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("round_robin", "Round robin among analysts on duty"),
            ("least_loaded", "Least loaded analyst on duty"),
            ("none", "Nobody (unassign)"),
            *(triager_choices() if people is None else people),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "transition" and not data.get("to"):
            self.add_error("to", "Choose the state to move the selected reports to.")
        return data


class SavedViewForm(forms.Form):
    """Rendered on every queue page, so its inputs are built in Python (core.forms.PlainInput)."""

    name = forms.CharField(max_length=80, label="Save these filters as", widget=PlainTextInput)
    query = forms.CharField(required=False, max_length=2000, widget=PlainHiddenInput)


class CaseFromReportForm(forms.Form):
    """On a confirmed report: open a new case for it, or add it to an open case."""

    case = forms.ChoiceField(required=False, label="Add to an open case")
    title = forms.CharField(required=False, max_length=200, label="Or open a new case titled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        open_cases = Case.objects.filter(state__in=[Case.State.OPEN, Case.State.REMEDIATING]).order_by("-created_at")
        cast(forms.ChoiceField, self.fields["case"]).choices = [
            ("", "— a new case —"),
            *((str(case.pk), f"{case.reference} {case.title}") for case in open_cases[:200]),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("case") and not (data.get("title") or "").strip():
            raise forms.ValidationError("Pick an open case, or give the new case a title.")
        return data


class ServicingForm(forms.Form):
    crosses_security_boundary = forms.TypedChoiceField(
        label="Does it cross a security boundary?", choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes"
    )
    meets_servicing_bar = forms.TypedChoiceField(
        label="Does its severity meet the bar for a security update?",
        choices=[("yes", "Yes: security update"), ("no", "No: fix in a future version")],
        coerce=lambda v: v == "yes",
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Recorded in the case timeline.")


class DisclosureDateForm(forms.Form):
    disclosure_date = forms.DateField(
        required=False,
        label="Agreed disclosure date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today or later. Leave empty to withdraw the date. Each researcher is told in their report's thread.",
    )
    reason = forms.CharField(
        max_length=2000,
        label="Why it is set, moved or withdrawn",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded in the case timeline; the researchers are not shown it.",
    )


class ValidationReplyForm(forms.Form):
    """An engineering team's answer to a validation shared with it; the team is asked only of people in several."""

    verdict = forms.ChoiceField(choices=ValidationReply.Verdict.choices, widget=forms.RadioSelect, label="Your answer")
    body = forms.CharField(
        required=False,
        max_length=10_000,
        label="What you found",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required unless you simply confirm it. The analysts read it; the researcher never does.",
    )
    team_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Answering for")

    def __init__(self, *args: Any, validation: Validation, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"v{validation.pk}")  # one form per validation on the page; ids stay unique
        super().__init__(*args, **kwargs)
        teams = validation.my_teams  # type: ignore[attr-defined]  # prefetched by list_validations_shared_with_user
        if len(teams) > 1:
            cast(forms.ChoiceField, self.fields["team_id"]).choices = [(team.pk, team.name) for team in teams]
            self.fields["team_id"].required = True
        else:
            del self.fields["team_id"]
