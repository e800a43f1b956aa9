"""Portal forms of the scoring pages; each feeds one scoring service."""

from django import forms

from vulndesk.catalog.models import Product
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.scoring.models import Exploitability, ProductSeverity
from vulndesk.scoring.ssvc import (
    AUTOMATABLE,
    EXPLOITATION,
    EXPOSURE,
    HUMAN_IMPACT,
    MISSION_IMPACT,
    PUBLIC_SAFETY_IMPACT,
    SAFETY_IMPACT,
    TECHNICAL_IMPACT,
    UTILITY,
)

YES_NO = [("no", "No"), ("yes", "Yes")]


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value[:1].upper() + value[1:]) for value in values]


class ScoreForm(forms.Form):
    rationale = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the score changes; kept in the scoring history.",
    )


class ProductSeverityForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.order_by("name"), empty_label="Choose a product…")
    product_kind = forms.ChoiceField(choices=ProductSeverity.Kind.choices, label="Kind of product")
    impact_type = forms.ChoiceField(choices=ImpactType.choices)
    attack_vector = forms.ChoiceField(choices=[("", "From the CVSS vector"), *ProductSeverity.AttackVector.choices],
                                      required=False)  # fmt: skip
    requires_authentication = forms.ChoiceField(
        choices=[("", "From the CVSS vector"), *YES_NO], required=False, label="Authentication required"
    )
    requires_user_interaction = forms.ChoiceField(
        choices=[("", "From the CVSS vector"), *YES_NO], required=False, label="User interaction required"
    )
    is_default_configuration = forms.BooleanField(
        required=False, initial=True, label="Vulnerable in the default configuration"
    )
    chained_impact_type = forms.ChoiceField(
        choices=[("", "No"), *ImpactType.choices],
        required=False,
        label="Chains with by-design behaviour to",
        help_text="Rated at that higher class.",
    )
    severity = forms.ChoiceField(
        choices=[("", "Accept the bug bar's proposal"), *Severity.choices],
        required=False,
        label="Decision",
    )
    rationale = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required when overriding the proposal."
    )

    @staticmethod
    def as_bool(value: str) -> bool | None:
        return {"yes": True, "no": False}.get(value)


class ExploitabilityForm(forms.Form):
    latest_release = forms.ChoiceField(choices=Exploitability.choices, label="Latest software release")
    older_releases = forms.ChoiceField(choices=Exploitability.choices, label="Older software releases")
    is_publicly_disclosed = forms.BooleanField(required=False, label="Publicly disclosed")
    is_exploited = forms.BooleanField(required=False, label="Exploited (goes with Exploitation Detected)")
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SsvcForm(forms.Form):
    exploitation = forms.ChoiceField(
        choices=_choices(EXPLOITATION.values), label=f"Exploitation ({EXPLOITATION.version})"
    )
    utility = forms.ChoiceField(choices=_choices(UTILITY.values), label=f"Utility ({UTILITY.version})")
    technical_impact = forms.ChoiceField(
        choices=_choices(TECHNICAL_IMPACT.values), label=f"Technical Impact ({TECHNICAL_IMPACT.version})"
    )
    public_safety_impact = forms.ChoiceField(
        choices=_choices(PUBLIC_SAFETY_IMPACT.values), label=f"Public Safety Impact ({PUBLIC_SAFETY_IMPACT.version})"
    )
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeployerSsvcForm(forms.Form):
    """The deployer tree: Human Impact directly, or Safety Impact and Mission Impact to derive it."""

    exploitation = forms.ChoiceField(
        choices=_choices(EXPLOITATION.values), label=f"Exploitation ({EXPLOITATION.version})"
    )
    exposure = forms.ChoiceField(
        choices=_choices(EXPOSURE.values),
        label=f"System Exposure ({EXPOSURE.version})",
        help_text="Small: local or behind strong controls; controlled: reachable with effort; open: internet.",
    )
    automatable = forms.ChoiceField(choices=_choices(AUTOMATABLE.values), label=f"Automatable ({AUTOMATABLE.version})")
    human_impact = forms.ChoiceField(
        choices=[("", "Derive from Safety and Mission Impact"), *_choices(HUMAN_IMPACT.values)],
        required=False,
        label=f"Human Impact ({HUMAN_IMPACT.version})",
    )
    safety_impact = forms.ChoiceField(
        choices=[("", "—"), *_choices(SAFETY_IMPACT.values)],
        required=False,
        label=f"Safety Impact ({SAFETY_IMPACT.version})",
        help_text="With Mission Impact, when Human Impact is left to derive.",
    )
    mission_impact = forms.ChoiceField(
        choices=[("", "—"), *_choices(MISSION_IMPACT.values)],
        required=False,
        label=f"Mission Impact ({MISSION_IMPACT.version})",
    )
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, str]:
        data: dict[str, str] = super().clean() or {}
        if data.get("human_impact") and (data.get("safety_impact") or data.get("mission_impact")):
            self.add_error(
                "human_impact",
                "Give Human Impact, or leave it to derive from Safety and Mission Impact — not both.",
            )
        return data

    def tree_values(self) -> dict[str, str | None]:
        """The cleaned decision points for `decide_ssvc("deployer", …)`; empty choices are not given."""
        return {name: value or None for name, value in self.cleaned_data.items() if name != "rationale"}


class PriorityOverrideForm(forms.Form):
    priority = forms.ChoiceField(
        choices=[("", "Computed (remove the override)"), *[(str(level), f"P{level}") for level in range(5)]],
        required=False,
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Required; kept in the audit trail."
    )


class ComponentCveForm(forms.Form):
    cve_id = forms.CharField(label="Component CVE", max_length=32, help_text="e.g. CVE-2024-3094")
    component = forms.CharField(max_length=200, help_text="e.g. xz-utils 5.6.0")


class ThreatImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("kev", "CISA KEV catalog (JSON)"), ("epss", "FIRST EPSS scores (CSV or .csv.gz)")],
        label="File type",
    )
    file = forms.FileField(help_text="The whole file is checked first; one bad line and nothing is imported.")


class AffectedCustomersForm(forms.Form):
    affected_customers = forms.IntegerField(
        min_value=0, required=False, help_text="Customers running an affected version; empty when unknown."
    )
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
