"""`{% cvss_calculator %}`: the CVSS calculator for any form, without the view importing scoring.

Intake's submission form can use it although intake may not import scoring (dependencies run
one way): `{% load cvss %}{% cvss_calculator form.suggested_cvss_vector.value "suggested_cvss" %}`
renders the pickers and a vector input named `suggested_cvss_vector`, so the form field
receives the vector. With JavaScript the pickers write that field and the score is live.
"""

from typing import Any

from django import template

from vulndesk.lib.cvss_calculator import calculator_for

register = template.Library()


@register.inclusion_tag("scoring/_cvss_calculator.html")
def cvss_calculator(vector: str | None = "", prefix: str = "cvss") -> dict[str, Any]:
    """The calculator showing `vector`, its inputs named `<prefix>_…` (the vector: `<prefix>_vector`)."""
    return {"calc": calculator_for(vector or "", field_prefix=prefix)}
