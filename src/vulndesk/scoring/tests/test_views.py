"""The scoring pages: list by priority, the vulnerability page and its forms, the calculator, threat data."""

import datetime as dt

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ProductFactory, ReportFactory, VulnerabilityFactory
from vulndesk.scoring.models import EpssScore, ExploitabilityAssessment, ProductSeverity, SsvcAssessment
from vulndesk.scoring.services import assess_exploitability, recompute_priorities
from vulndesk.triage.services import create_case

VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
PICKERS_31 = {"cvss_version": "3.1", "cvss_31_AV": "L", "cvss_31_AC": "L", "cvss_31_PR": "L", "cvss_31_UI": "N",
              "cvss_31_S": "U", "cvss_31_C": "H", "cvss_31_I": "H", "cvss_31_A": "H", "cvss_31_E": "X",
              "cvss_31_RL": "X", "cvss_31_RC": "X"}  # fmt: skip


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_is_ordered_by_priority(analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    calm = VulnerabilityFactory.create(severity="low", impact_type="did", title="Calm one")
    urgent = VulnerabilityFactory.create(severity="critical", impact_type="rce", title="Urgent one")
    VulnerabilityFactory.create_batch(10)
    recompute_priorities([calm.pk, urgent.pk], actor=analyst, reason="test")
    client = _client(analyst)

    with django_assert_max_num_queries(8):
        response = client.get("/vulnerabilities/")

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Urgent one") < content.index("Calm one")
    assert "Critical RCE → P1: next monthly release, fix due in 30 calendar days" in content


def test_researcher_is_refused_the_list(researcher: User) -> None:
    assert _client(researcher).get("/vulnerabilities/").status_code == 403


def test_detail_page_shows_priority_and_calculator(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector=VECTOR)
    recompute_priorities([vulnerability.pk], actor=analyst, reason="test")

    response = _client(analyst).get(f"/vulnerabilities/{vulnerability.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Priority P1: next monthly release" in content
    assert 'name="cvss_31_AV"' in content
    assert "data-cvss-calculator" in content


def test_researcher_gets_404_on_the_detail_page(researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    assert _client(researcher).get(f"/vulnerabilities/{vulnerability.pk}/").status_code == 404


def test_engineer_sees_the_page_without_forms(engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    content = _client(engineer).get(f"/vulnerabilities/{vulnerability.pk}/").content.decode()

    assert "Save score" not in content
    assert "Severity by product" in content


def test_researcher_gets_404_posting_a_score(researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(researcher).post(f"/vulnerabilities/{vulnerability.pk}/score/", PICKERS_31)

    assert response.status_code == 404


def test_engineer_may_not_post_a_score(engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(engineer).post(f"/vulnerabilities/{vulnerability.pk}/score/", PICKERS_31)

    assert response.status_code == 403


def test_calculate_without_javascript_shows_the_score_and_saves_nothing(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector=VECTOR)

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/score/", PICKERS_31 | {"cvss_action": "calculate"}
    )

    content = response.content.decode()
    assert "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H" in content
    assert "7.8 High" in content
    vulnerability.refresh_from_db()
    assert vulnerability.cvss_vector == VECTOR


def test_read_vector_sets_the_pickers(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/CR:H"

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/score/", {"cvss_vector": vector, "cvss_action": "read"}
    )

    content = response.content.decode()
    assert '<option value="A" selected>Attacked (A)</option>' in content
    assert 'data-extras="CR:H"' in content
    assert "CVSS-BTE" in content


def test_saving_the_score_from_the_pickers(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector=VECTOR)

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/score/", PICKERS_31 | {"score-rationale": "Local only"}
    )

    assert response.status_code == 302
    vulnerability.refresh_from_db()
    assert (vulnerability.cvss_vector, str(vulnerability.cvss_score)) == (
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "7.8",
    )
    assert vulnerability.score_changes.filter(kind="cvss", rationale="Local only").exists()


def test_missing_base_metric_says_which(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    data = {key: value for key, value in PICKERS_31.items() if key != "cvss_31_PR"}

    response = _client(analyst).post(f"/vulnerabilities/{vulnerability.pk}/score/", data)

    assert response.status_code == 400
    assert "Pick a value for PR" in response.content.decode()


def test_bad_typed_vector_names_the_metric(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/score/",
        {"cvss_vector": "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss_action": "read"},
    )

    assert "AV: Invalid CVSS vector" in response.content.decode()


def test_rating_a_product(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector=VECTOR, severity="low")
    product = ProductFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/severity/",
        {
            "severity-product": product.pk,
            "severity-product_kind": "server",
            "severity-impact_type": "rce",
            "severity-is_default_configuration": "on",
        },
    )

    assert response.status_code == 302
    assert ProductSeverity.objects.get().severity == "critical"


def test_override_without_rationale_is_shown_at_the_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector=VECTOR)
    product = ProductFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/severity/",
        {
            "severity-product": product.pk,
            "severity-product_kind": "server",
            "severity-impact_type": "rce",
            "severity-severity": "low",
        },
    )

    assert response.status_code == 400
    assert "say why you rate it low" in response.content.decode()
    assert not ProductSeverity.objects.exists()


def test_exploitability_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/exploitability/",
        {"exploitability-latest_release": "more_likely", "exploitability-older_releases": "less_likely"},
    )

    assert response.status_code == 302
    assert ExploitabilityAssessment.objects.get().latest_release == "more_likely"


def test_exploited_without_detected_is_refused_at_the_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/exploitability/",
        {
            "exploitability-latest_release": "more_likely",
            "exploitability-older_releases": "less_likely",
            "exploitability-is_exploited": "on",
        },
    )

    assert response.status_code == 400
    assert "Exploitation Detected" in response.content.decode()


def test_ssvc_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/ssvc/",
        {"ssvc-exploitation": "active", "ssvc-utility": "super effective", "ssvc-technical_impact": "total",
         "ssvc-public_safety_impact": "minimal"},
    )  # fmt: skip

    assert response.status_code == 302
    assert SsvcAssessment.objects.get().outcome == "immediate"


def test_priority_override_form_needs_a_rationale(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(f"/vulnerabilities/{vulnerability.pk}/priority/", {"priority-priority": "0"})

    assert response.status_code == 400


def test_priority_override_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/priority/",
        {"priority-priority": "0", "priority-rationale": "Under attack"},
    )

    assert response.status_code == 302
    vulnerability.refresh_from_db()
    assert vulnerability.priority == 0


def test_component_cve_form_reports_a_bad_id(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/components/", {"component-cve_id": "xz", "component-component": "xz 5.6"}
    )

    assert response.status_code == 400
    assert "is not a CVE id" in response.content.decode()


def test_standalone_calculator_round_trip_without_javascript(researcher: User) -> None:
    response = _client(researcher).get("/scoring/cvss/", PICKERS_31 | {"cvss_action": "calculate"})

    assert response.status_code == 200
    assert "7.8 High" in response.content.decode()


def test_threat_data_upload(analyst: User) -> None:
    upload = SimpleUploadedFile("epss.csv", b"cve,epss,percentile\nCVE-2026-10001,0.5,0.9\n")

    response = _client(analyst).post("/scoring/threat-data/", {"kind": "epss", "file": upload})

    assert response.status_code == 302
    assert EpssScore.objects.count() == 1


def test_threat_data_bad_upload_names_the_line(analyst: User) -> None:
    upload = SimpleUploadedFile("epss.csv", b"cve,epss,percentile\nCVE-2026-10001,0.5\n")

    response = _client(analyst).post("/scoring/threat-data/", {"kind": "epss", "file": upload})

    assert response.status_code == 400
    assert "line 2: expected 3 values" in response.content.decode()
    assert not EpssScore.objects.exists()


def test_engineer_sees_imports_but_may_not_upload(engineer: User) -> None:
    client = _client(engineer)

    page = client.get("/scoring/threat-data/")
    upload = client.post("/scoring/threat-data/", {"kind": "kev", "file": SimpleUploadedFile("k.json", b"{}")})

    assert page.status_code == 200
    assert "Import a file" not in page.content.decode()
    assert upload.status_code == 403


def test_affected_customers_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(severity="moderate", impact_type="info")

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/customers/", {"customers-affected_customers": "12000"}
    )

    assert response.status_code == 302
    vulnerability.refresh_from_db()
    assert (vulnerability.affected_customers, vulnerability.priority) == (12000, 2)


def test_negative_customers_are_refused_at_the_form(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/customers/", {"customers-affected_customers": "-5"}
    )

    assert response.status_code == 400


def test_standalone_calculator_is_open_to_visitors(client: Client) -> None:
    response = client.get("/scoring/cvss/", {"cvss_vector": VECTOR, "cvss_action": "read"})

    assert response.status_code == 200
    assert "9.8 Critical" in response.content.decode()


def test_the_template_tag_names_the_vector_input_after_the_prefix() -> None:
    rendered = Template('{% load cvss %}{% cvss_calculator vector "suggested_cvss" %}').render(
        Context({"vector": VECTOR})
    )

    assert 'name="suggested_cvss_vector"' in rendered
    assert f'value="{VECTOR}"' in rendered
    assert 'name="suggested_cvss_31_AV"' in rendered
    assert "9.8 Critical" in rendered


def test_ssvc_form_starts_from_the_exploitability_assessment(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(impact_type="rce")
    assess_exploitability(
        vulnerability, latest_release="detected", older_releases="n/a", is_publicly_disclosed=True, is_exploited=True,
        actor=analyst,
    )  # fmt: skip

    content = _client(analyst).get(f"/vulnerabilities/{vulnerability.pk}/").content.decode()

    assert '<option value="active" selected>Active</option>' in content
    assert '<option value="total" selected>Total</option>' in content


DEPLOYER = {"deployer-exploitation": "active", "deployer-exposure": "open", "deployer-automatable": "yes",
            "deployer-human_impact": "high", "deployer-rationale": "Our hosted edition is on the internet."}  # fmt: skip


def test_deployer_ssvc_form_records_a_decision(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    client = _client(analyst)

    response = client.post(f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", DEPLOYER)

    assert response.status_code == 302
    decision = SsvcAssessment.objects.get()
    assert (decision.tree, decision.outcome) == ("deployer", "immediate")
    assert decision.decision_points["EXP"] == {"name": "System Exposure", "version": "1.0.1", "value": "open"}
    assert decision.rationale == "Our hosted edition is on the internet."
    page = client.get(f"/vulnerabilities/{vulnerability.pk}/").content.decode()
    assert "SSVC (deployer)" in page
    assert "No deployer decision yet" not in page
    assert "Immediate" in page
    assert "No SSVC decision yet." in page  # the supplier panel still has none


def test_deployer_ssvc_form_derives_human_impact(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    values = DEPLOYER | {"deployer-human_impact": "", "deployer-safety_impact": "Catastrophic",
                         "deployer-mission_impact": "None", "deployer-exploitation": "none",
                         "deployer-exposure": "small", "deployer-automatable": "no"}  # fmt: skip

    response = _client(analyst).post(f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", values)

    assert response.status_code == 302
    decision = SsvcAssessment.objects.get()
    assert decision.decision_points["HI"]["value"] == "very high"
    assert decision.outcome == "scheduled"


def test_deployer_ssvc_form_names_the_missing_decision_point(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    values = DEPLOYER | {"deployer-human_impact": "", "deployer-safety_impact": "Major"}

    response = _client(analyst).post(f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", values)

    assert response.status_code == 400
    form = response.context["deployer_form"]
    assert "Give Human Impact, or Safety Impact and Mission Impact" in form.errors["human_impact"][0]
    assert not SsvcAssessment.objects.exists()


def test_deployer_ssvc_form_names_an_unknown_value(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", DEPLOYER | {"deployer-exposure": "internet"}
    )

    assert response.status_code == 400
    assert "exposure" in response.context["deployer_form"].errors
    assert 'id="id_deployer-exposure_error"' in response.content.decode()
    assert not SsvcAssessment.objects.exists()


def test_deployer_ssvc_form_refuses_both_human_impact_and_its_parts(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(analyst).post(
        f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", DEPLOYER | {"deployer-safety_impact": "Minor"}
    )

    assert response.status_code == 400
    assert "not both" in response.context["deployer_form"].errors["human_impact"][0]
    assert not SsvcAssessment.objects.exists()


def test_researchers_get_404_recording_a_deployer_decision(researcher: User, outsider: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    for user in (researcher, outsider):
        response = _client(user).post(f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", DEPLOYER)
        assert response.status_code == 404
    assert not SsvcAssessment.objects.exists()


def test_engineer_may_not_record_a_deployer_decision(engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = _client(engineer).post(f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", DEPLOYER)

    assert response.status_code == 403
    assert not SsvcAssessment.objects.exists()
    assert (
        "Decide with the deployer tree"
        not in _client(engineer).get(f"/vulnerabilities/{vulnerability.pk}/").content.decode()
    )


def test_a_deployer_decision_does_not_replace_the_supplier_one(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    client = _client(analyst)
    client.post(
        f"/vulnerabilities/{vulnerability.pk}/ssvc/",
        {"ssvc-exploitation": "none", "ssvc-utility": "laborious", "ssvc-technical_impact": "partial",
         "ssvc-public_safety_impact": "minimal"},
    )  # fmt: skip
    client.post(f"/vulnerabilities/{vulnerability.pk}/ssvc/deployer/", DEPLOYER)

    response = client.get(f"/vulnerabilities/{vulnerability.pk}/")

    assert response.context["ssvc"].outcome == "defer"
    assert response.context["deployer_ssvc"].outcome == "immediate"


def test_the_page_shows_the_case_fix_clock_of_its_priority(analyst: User) -> None:
    opened = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    with time_machine.travel(opened, tick=False):
        case = create_case(title="Parser", reports=[ReportFactory.create(state="confirmed")], actor=analyst)
    vulnerability = VulnerabilityFactory.create(case=case, severity="important", impact_type="eop")
    assess_exploitability(
        vulnerability, latest_release="detected", older_releases="detected", is_publicly_disclosed=True,
        is_exploited=True, actor=analyst,
    )  # fmt: skip

    with time_machine.travel(opened + dt.timedelta(days=3), tick=False):
        response = _client(analyst).get(f"/vulnerabilities/{vulnerability.pk}/")

    content = response.content.decode()
    assert "Priority P0: out-of-band release, case fix due 9 Nov 2026" in content
    assert "Case fix clock (triage SLA): 7 calendar days from the case's opening, on track" in content
