"""The researcher's report form; the service checks the business rules, this checks the shape."""

from typing import Any

from django import forms

from vulndesk.catalog.models import Product
from vulndesk.core.taxonomy import ImpactType
from vulndesk.intake.models import CreditPreference
from vulndesk.intake.services import ReportSubmission

# Offered as suggestions in the CWE field (the 2024 CWE Top 25 and a few perennial ones);
# any valid CWE id is accepted.
COMMON_CWES = (
    ("CWE-79", "Cross-site scripting"),
    ("CWE-787", "Out-of-bounds write"),
    ("CWE-89", "SQL injection"),
    ("CWE-352", "Cross-site request forgery"),
    ("CWE-22", "Path traversal"),
    ("CWE-125", "Out-of-bounds read"),
    ("CWE-78", "OS command injection"),
    ("CWE-416", "Use after free"),
    ("CWE-862", "Missing authorization"),
    ("CWE-434", "Unrestricted upload of dangerous file type"),
    ("CWE-94", "Code injection"),
    ("CWE-20", "Improper input validation"),
    ("CWE-77", "Command injection"),
    ("CWE-287", "Improper authentication"),
    ("CWE-269", "Improper privilege management"),
    ("CWE-502", "Deserialization of untrusted data"),
    ("CWE-200", "Exposure of sensitive information"),
    ("CWE-863", "Incorrect authorization"),
    ("CWE-918", "Server-side request forgery"),
    ("CWE-119", "Memory buffer bounds"),
    ("CWE-476", "NULL pointer dereference"),
    ("CWE-798", "Hard-coded credentials"),
    ("CWE-190", "Integer overflow"),
    ("CWE-400", "Uncontrolled resource consumption"),
    ("CWE-306", "Missing authentication for critical function"),
    ("CWE-601", "Open redirect"),
    ("CWE-611", "XML external entities"),
    ("CWE-362", "Race condition"),
)


class ReportSubmissionForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="One line, e.g. “Stored XSS in the profile page”.")
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("name"),
        required=False,
        empty_label="Other or unknown product",
        help_text="Search or pick from the list. Not in it? Choose “Other or unknown product” and name it below.",
    )
    product_other = forms.CharField(
        max_length=200, required=False, label="Other product", help_text="Only when it is not in the list above."
    )
    affected_versions = forms.CharField(
        max_length=300, required=False, label="Affected versions", help_text="As precisely as you know them."
    )
    impact_type = forms.ChoiceField(choices=[("", "Not sure"), *ImpactType.choices], required=False, label="Impact")
    cwe = forms.CharField(
        max_length=12,
        required=False,
        label="Vulnerability type (CWE)",
        help_text="Start typing a CWE id or name, e.g. CWE-79.",
        widget=forms.TextInput(attrs={"list": "cwe-suggestions", "autocomplete": "off"}),
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What is wrong, where, and what an attacker gains. Plain text; it is shown exactly as you write it.",
    )
    steps_to_reproduce = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Steps to reproduce",
        help_text="Numbered steps from a clean install: configuration, requests, what you see.",
    )
    proof_of_concept = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        required=False,
        label="Proof of concept",
        help_text="Code, HTTP requests or commands. Larger files can be attached on the next step.",
    )
    suggested_cvss_vector = forms.CharField(
        max_length=200,
        required=False,
        label="Suggested CVSS vector",
        help_text="CVSS 3.1 or 4.0, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N. We score every report too.",
    )
    is_public = forms.BooleanField(required=False, label="This is already publicly known")
    is_exploited = forms.BooleanField(required=False, label="I know it is being exploited in the wild")
    planned_disclosure_on = forms.DateField(
        required=False,
        label="Planned disclosure date",
        help_text="If you intend to publish, when. We will work with you on a date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    disclosure_plans = forms.CharField(
        max_length=2000,
        required=False,
        label="Disclosure plans",
        help_text="A talk, paper or blog post you plan, with its date if known.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    credit_preference = forms.ChoiceField(
        choices=CreditPreference.choices,
        initial=CreditPreference.NAME,
        label="Credit in the advisory",
        widget=forms.RadioSelect,
    )
    credit_name = forms.CharField(
        max_length=150,
        required=False,
        label="Name or handle to credit",
        help_text="Leave empty to use your profile name.",
    )
    contact_email = forms.EmailField(
        required=False,
        label="Email for our reply",
        help_text="Optional. Without it you can only follow the report through its private link.",
    )
    accepts_policy = forms.BooleanField(
        required=True,
        label="I have read the disclosure policy and accept it",
        error_messages={"required": "Please read and accept the disclosure policy before sending."},
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by form-stuffing bots.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if anonymous:
            self.fields["credit_name"].help_text = "Leave empty and choose “Do not credit me” to stay anonymous."
        else:
            del self.fields["contact_email"]

    def clean_website(self) -> str:
        value: str = self.cleaned_data["website"]
        if value:
            raise forms.ValidationError("This field must stay empty. Are you a person? Clear it and send again.")
        return value

    def submission(self) -> ReportSubmission:
        data = self.cleaned_data
        return ReportSubmission(
            title=data["title"],
            description=data["description"],
            product=data["product"],
            product_other=data["product_other"],
            affected_versions=data["affected_versions"],
            impact_type=data["impact_type"],
            cwe=data["cwe"],
            suggested_cvss_vector=data["suggested_cvss_vector"],
            steps_to_reproduce=data["steps_to_reproduce"],
            proof_of_concept=data["proof_of_concept"],
            is_public=data["is_public"],
            is_exploited=data["is_exploited"],
            planned_disclosure_on=data["planned_disclosure_on"],
            disclosure_plans=data["disclosure_plans"],
            credit_preference=data["credit_preference"],
            credit_name=data["credit_name"],
            accepts_policy=data["accepts_policy"],
            contact_email=data.get("contact_email", ""),
        )


class PolicyForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24}),
        label="Policy text",
        help_text="Markdown: ## for headings, - for lists, [text](https://…) for links. HTML is shown as text.",
    )
    change_note = forms.CharField(max_length=300, label="What changed", help_text="Shown in the public history.")
