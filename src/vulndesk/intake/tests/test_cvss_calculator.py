"""The CVSS calculator on the report form: pickers → vector on the server (no JavaScript), bad picks refused."""

import pytest
from django.test import Client
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.intake.models import Report
from vulndesk.lib.cvss_calculator import calculator_from_form

PICKS_31 = {"AV": "N", "AC": "L", "PR": "N", "UI": "N", "S": "U", "C": "H", "I": "H", "A": "H"}
PICKS_40 = {"AV": "N", "AC": "L", "AT": "N", "PR": "N", "UI": "N", "VC": "H", "VI": "H", "VA": "H", "SC": "N"}
PICKS_40 |= {"SI": "N", "SA": "N"}
VECTOR_31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
FORM = {
    "title": "SSRF in webhooks",
    "description": "Point the hook at 169.254.169.254.",
    "product_other": "Widget Cloud",
    "credit_preference": "name",
    "credit_name": "Mira",
    "accepts_policy": "on",
}


def _pickers(version: str, picks: dict[str, str], **extra: str) -> dict[str, str]:
    """The calculator's inputs as the browser sends them; the optional groups always send 'X'."""
    slug = version.replace(".", "")
    optional = ("E", "RL", "RC") if version == "3.1" else ("E",)
    data = {f"suggested_cvss_{slug}_{key}": "X" for key in optional}
    data |= {f"suggested_cvss_{slug}_{key}": value for key, value in picks.items()}
    return data | {"suggested_cvss_version": version} | extra


# Assembling the vector (vulndesk.lib.cvss_calculator)


def test_pickers_make_a_31_vector_with_its_score() -> None:
    calc = calculator_from_form(_pickers("3.1", PICKS_31), field_prefix="suggested_cvss")

    assert (calc.vector, calc.error, calc.is_from_pickers) == (VECTOR_31, "", True)
    assert calc.score is not None
    assert (str(calc.score.overall_score), calc.score.rating) == ("9.8", "Critical")


def test_pickers_make_a_40_vector_with_the_threat_metric() -> None:
    data = _pickers("4.0", PICKS_40) | {"suggested_cvss_40_E": "U"}

    calc = calculator_from_form(data, field_prefix="suggested_cvss")

    assert calc.vector == "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"
    assert calc.score is not None
    assert calc.score.nomenclature == "CVSS-BT"


def test_an_unknown_metric_value_names_the_metric_and_its_values() -> None:
    calc = calculator_from_form(_pickers("3.1", PICKS_31 | {"AV": "Q"}), field_prefix="suggested_cvss")

    assert calc.error == (
        "Attack Vector (AV) has no value 'Q'; choose one of: Network (N), Adjacent (A), Local (L), Physical (P)."
    )
    assert (calc.vector, calc.score) == ("", None)


def test_an_unknown_optional_value_is_refused_too() -> None:
    calc = calculator_from_form(_pickers("3.1", PICKS_31, suggested_cvss_31_RL="Z"), field_prefix="suggested_cvss")

    assert calc.error.startswith("Remediation Level (RL) has no value 'Z'")


def test_a_missing_base_metric_is_named() -> None:
    picks = {key: value for key, value in PICKS_31.items() if key != "S"}

    calc = calculator_from_form(_pickers("3.1", picks), field_prefix="suggested_cvss")

    assert calc.error == "Pick a value for S (every base metric is needed)."


def test_optional_defaults_alone_leave_the_typed_vector_in_charge() -> None:
    calc = calculator_from_form(_pickers("3.1", {}, suggested_cvss_vector=VECTOR_31), field_prefix="suggested_cvss")

    assert (calc.vector, calc.is_from_pickers, calc.error) == (VECTOR_31, False, "")
    assert calc.selected["AV"] == "N"


def test_switching_version_with_nothing_picked_shows_that_versions_pickers() -> None:
    calc = calculator_from_form({"suggested_cvss_version": "4.0"}, field_prefix="suggested_cvss")

    assert (calc.version, calc.vector, calc.error) == ("4.0", "", "")


def test_an_unknown_version_falls_back_to_31() -> None:
    data = _pickers("3.1", PICKS_31) | {"suggested_cvss_version": "9.9"}

    calc = calculator_from_form(data, field_prefix="suggested_cvss")

    assert calc.vector == VECTOR_31


# The report form


def test_the_form_offers_labelled_pickers_for_both_versions(client: Client, db: None) -> None:
    html = client.get(reverse("report_submit")).content.decode()

    assert "<legend>Severity" in html
    assert "<legend>Base metrics" in html
    assert '<label for="suggested_cvss_31_AV">Attack Vector' in html
    assert '<label for="suggested_cvss_40_AT">Attack Requirements' in html
    assert 'name="suggested_cvss_vector"' in html
    assert 'value="calculate"' in html


def test_calculate_without_javascript_shows_vector_and_score_and_saves_nothing(
    client: Client, researcher: User
) -> None:
    client.force_login(researcher)
    data = FORM | _pickers("3.1", PICKS_31) | {"suggested_cvss_action": "calculate"}

    response = client.post(reverse("report_submit"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{VECTOR_31}"' in html
    assert "9.8 Critical" in html
    assert 'value="SSRF in webhooks"' in html  # the rest of the form is kept
    assert "This field is required" not in html
    assert not Report.objects.exists()


def test_calculate_with_half_a_form_does_not_complain_about_other_fields(client: Client, db: None) -> None:
    data = _pickers("3.1", PICKS_31) | {"suggested_cvss_action": "calculate"}

    response = client.post(reverse("report_submit"), data)

    assert response.status_code == 200
    assert "9.8 Critical" in response.content.decode()
    assert b"need attention" not in response.content


def test_calculate_with_an_unknown_value_says_which(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    data = FORM | _pickers("3.1", PICKS_31 | {"AC": "Q"}) | {"suggested_cvss_action": "calculate"}

    html = client.post(reverse("report_submit"), data).content.decode()

    assert "Attack Complexity (AC) has no value &#x27;Q&#x27;" in html
    assert not Report.objects.exists()


def test_preview_takes_the_vector_from_the_pickers(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("report_submit"), FORM | _pickers("3.1", PICKS_31) | {"action": "preview"})

    html = response.content.decode()
    assert "Check your report before sending" in html
    assert f'type="hidden" name="suggested_cvss_vector" value="{VECTOR_31}"' in html
    assert "9.8 Critical" in html


def test_picked_vector_is_saved_with_the_report(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    data = FORM | _pickers("4.0", PICKS_40) | {"action": "send"}

    client.post(reverse("report_submit"), data)

    assert (
        Report.objects.get().suggested_cvss_vector == "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    )


@pytest.mark.parametrize("action", ["preview", "send"])
def test_an_unknown_value_refuses_the_report_and_saves_nothing(client: Client, researcher: User, action: str) -> None:
    client.force_login(researcher)
    data = FORM | _pickers("3.1", PICKS_31 | {"AV": "Q"}) | {"action": action}

    response = client.post(reverse("report_submit"), data)

    assert response.status_code == 400
    assert "Attack Vector (AV) has no value &#x27;Q&#x27;" in response.content.decode()
    assert not Report.objects.exists()


def test_a_missing_base_metric_refuses_the_report(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    picks = {key: value for key, value in PICKS_31.items() if key != "A"}

    response = client.post(reverse("report_submit"), FORM | _pickers("3.1", picks) | {"action": "send"})

    assert response.status_code == 400
    assert b"Pick a value for A (every base metric is needed)." in response.content
    assert not Report.objects.exists()


def test_pickers_override_a_stale_typed_vector(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    stale = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"
    data = FORM | _pickers("3.1", PICKS_31, suggested_cvss_vector=stale) | {"action": "send"}

    client.post(reverse("report_submit"), data)

    assert Report.objects.get().suggested_cvss_vector == VECTOR_31
