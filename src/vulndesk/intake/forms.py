"""The researcher's report form; the service checks the business rules, this checks the shape."""

from django import forms

from vulndesk.catalog.models import Product
from vulndesk.core.taxonomy import ImpactType
from vulndesk.intake.services import ReportSubmission


class ReportSubmissionForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="One line, e.g. “Stored XSS in the profile page”.")
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("name"),
        required=False,
        empty_label="Choose a product",
        help_text="Not in the list? Leave this empty and name it below.",
    )
    product_other = forms.CharField(max_length=200, required=False, label="Other product")
    affected_versions = forms.CharField(
        max_length=300, required=False, label="Affected versions", help_text="As precisely as you know them."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="What is wrong, how to reproduce it step by step, and what an attacker gains.",
    )
    impact_type = forms.ChoiceField(choices=[("", "Not sure"), *ImpactType.choices], required=False, label="Impact")
    cwe = forms.CharField(max_length=12, required=False, label="CWE", help_text="For example CWE-79.")
    suggested_cvss_vector = forms.CharField(
        max_length=200,
        required=False,
        label="Suggested CVSS vector",
        help_text="For example CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N. We score every report ourselves too.",
    )

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
        )
