"""Scoring CVSS vectors: the library wrapper, POST /scoring/cvss and the scoring history."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, VulnerabilityFactory
from vulndesk.lib.cvss_vectors import InvalidCvssVector, score_cvss_vector
from vulndesk.scoring.models import ScoreChange
from vulndesk.scoring.services import VulnerabilityDetails, create_vulnerability, update_vulnerability

Api = Callable[[User | None], ApiClient]
CRITICAL_31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
LOCAL_31 = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
BASE_40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def test_cvss31_temporal_and_environmental_scores() -> None:
    score = score_cvss_vector(CRITICAL_31 + "/E:U/RL:O/RC:C/MAV:L")

    assert (score.base_score, score.temporal_score, score.environmental_score) == (
        Decimal("9.8"),
        Decimal("8.5"),
        Decimal("7.3"),
    )
    assert (score.overall_score, score.rating, score.base_rating) == (Decimal("7.3"), "High", "Critical")


@pytest.mark.parametrize(
    ("suffix", "nomenclature", "score"),
    [
        ("", "CVSS-B", "9.3"),
        ("/E:U", "CVSS-BT", "8.1"),
        ("/CR:L/IR:L/AR:L", "CVSS-BE", "8.9"),
        ("/E:U/MAV:L", "CVSS-BTE", "6.1"),
        ("/E:X/CR:X", "CVSS-B", "9.3"),
    ],
)
def test_cvss40_nomenclature_names_the_metric_groups_used(suffix: str, nomenclature: str, score: str) -> None:
    result = score_cvss_vector(BASE_40 + suffix)

    assert (result.nomenclature, result.score, result.base_score) == (nomenclature, Decimal(score), Decimal("9.3"))


def test_cvss20_is_scored_for_imported_data() -> None:
    score = score_cvss_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/RL:OF/RC:C")

    assert (score.version, score.base_score, score.temporal_score) == ("2.0", Decimal("7.5"), Decimal("6.2"))


@pytest.mark.parametrize(
    ("vector", "metric"),
    [
        ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV"),  # unknown value
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "A"),  # missing mandatory metric
        ("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV"),  # duplicate
        (CRITICAL_31 + "/AT:N", "AT"),  # a 4.0 metric in a 3.1 vector
        (BASE_40 + "/E:Q", "E"),
        (BASE_40.replace("/SA:N", ""), "SA"),
    ],
)
def test_bad_vectors_name_the_metric(vector: str, metric: str) -> None:
    with pytest.raises(InvalidCvssVector) as raised:
        score_cvss_vector(vector)

    assert raised.value.metric == metric


def test_vector_without_a_version_prefix_says_how_to_write_one() -> None:
    with pytest.raises(InvalidCvssVector, match=r"must start with CVSS:3\.1/ or CVSS:4\.0/"):
        score_cvss_vector("9.8")


def test_api_scores_a_cvss40_vector(api: Api, researcher: User) -> None:
    response = api(researcher).post("/scoring/cvss", {"vector": BASE_40 + "/E:P"})

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["nomenclature"], body["score"], body["base_score"]) == ("4.0", "CVSS-BT", 8.9, 9.3)
    assert (body["rating"], body["metrics"]["E"]) == ("High", "P")


def test_api_scores_a_cvss31_vector_in_canonical_order(api: Api, analyst: User) -> None:
    body = api(analyst).post("/scoring/cvss", {"vector": "CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H"}).json()

    assert (body["vector"], body["base_score"], body["temporal_score"], body["rating"]) == (
        CRITICAL_31,
        9.8,
        9.8,
        "Critical",
    )


def test_api_bad_vector_is_422_naming_the_metric(api: Api, analyst: User) -> None:
    response = api(analyst).post("/scoring/cvss", {"vector": "CVSS:3.1/AV:N/AC:Z/PR:N/UI:N/S:U/C:H/I:H/A:H"})

    assert response.status_code == 422
    assert problem_fields(response) == ["vector"]
    assert response.json()["detail"].startswith("AC: ")


def test_api_scoring_is_public_for_the_anonymous_submission_form(api: Api) -> None:
    response = api(None).post("/scoring/cvss", {"vector": CRITICAL_31})

    assert response.status_code == 200
    assert response.json()["score"] == 9.8


def test_creating_a_scored_vulnerability_starts_its_history(analyst: User) -> None:
    case = CaseFactory.create()

    vulnerability = create_vulnerability(
        case, VulnerabilityDetails("Heap overflow", "rce", "critical", cvss_vector=CRITICAL_31), actor=analyst
    )

    rows = list(
        vulnerability.score_changes.exclude(kind="priority").values_list("kind", "old_value", "new_value", "new_score")
    )
    assert sorted(rows) == [("cvss", "", CRITICAL_31, Decimal("9.8")), ("severity", "", "critical", None)]


def test_rescoring_keeps_who_when_old_new_and_why(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    details = VulnerabilityDetails(vulnerability.title, "rce", "critical", cvss_vector=LOCAL_31)

    update_vulnerability(vulnerability, details, actor=analyst, rationale="Needs a local account")

    change = ScoreChange.objects.get(vulnerability=vulnerability, kind="cvss")
    assert (change.old_value, change.new_value) == (CRITICAL_31, LOCAL_31)
    assert (change.old_score, change.new_score) == (Decimal("9.8"), Decimal("7.8"))
    assert (change.changed_by, change.rationale) == (analyst, "Needs a local account")
    assert change.changed_at is not None


def test_changing_only_the_title_adds_no_history(analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    update_vulnerability(
        vulnerability, VulnerabilityDetails("New title", "rce", "critical", cvss_vector=CRITICAL_31), actor=analyst
    )

    assert not ScoreChange.objects.exclude(kind="priority").exists()


def test_api_score_history_newest_first(api: Api, analyst: User, engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    update_vulnerability(
        vulnerability,
        VulnerabilityDetails("t", "rce", "critical", cvss_vector=LOCAL_31),
        actor=analyst,
        rationale="local",
    )
    update_vulnerability(
        vulnerability,
        VulnerabilityDetails("t", "rce", "important", cvss_vector=LOCAL_31),
        actor=analyst,
        rationale="downgrade",
    )

    body = api(engineer).get(f"/vulnerabilities/{vulnerability.pk}/score-history").json()

    assert [(item["kind"], item["new_value"], item["rationale"]) for item in body if item["kind"] != "priority"] == [
        ("severity", "important", "downgrade"),
        ("cvss", LOCAL_31, "local"),
    ]
    assert body[0]["changed_by"] == str(analyst)


def test_researcher_gets_404_on_score_history(api: Api, researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(researcher).get(f"/vulnerabilities/{vulnerability.pk}/score-history")

    assert response.status_code == 404
