"""Duplicate candidates (score and reasons), marking a duplicate in one action, credit, and who may see scores."""

from collections.abc import Callable

import pytest
from django.core import mail
from django.db import connection
from pytest_django.fixtures import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ProductFactory, ReportFactory, VulnerabilityFactory
from vulndesk.intake.models import Attachment, Report
from vulndesk.triage import duplicates
from vulndesk.triage.duplicates import endpoints, find_duplicate_candidates, words
from vulndesk.triage.models import DuplicateCredit
from vulndesk.triage.services import create_case, mark_duplicate

Api = Callable[[User | None], ApiClient]


def _attach(report: Report, sha256: str) -> None:
    Attachment.objects.create(
        report=report, file=f"attachments/{sha256[:2]}/x", original_name="poc.png", kind="png",
        media_type="image/png", size=10, sha256=sha256,
    )  # fmt: skip


def test_endpoints_are_urls_paths_and_file_names() -> None:
    found = endpoints("See https://mail.example.com/owa/auth/logon.aspx?x=1 and /api/v2/export, then upload.php.")

    assert found == {"mail.example.com/owa/auth/logon.aspx", "/api/v2/export", "upload.php"}


def test_words_fold_simple_suffixes_and_drop_stop_words() -> None:
    assert words("The overflows were injected") == words("overflow injection") == {"overflow", "inject"}


def test_candidates_are_scored_with_reasons(db: None) -> None:
    product = ProductFactory.create(name="Mail Server")
    original = ReportFactory.create(
        product=product, cwe="CWE-79", title="Stored XSS in the signature editor",
        description="Script saved in /owa/signature/edit runs for every reader.",
    )  # fmt: skip
    unrelated = ReportFactory.create(product=product, title="Crash in IMAP IDLE", description="Null pointer.")
    report = ReportFactory.create(
        product=product, cwe="CWE-79", title="Persistent XSS through the signature editor",
        description="A script stored via /owa/signature/edit executes for each reader.",
    )  # fmt: skip

    candidates = find_duplicate_candidates(report)

    assert candidates[0].report == original
    assert candidates[0].score > 0.6
    reasons = " | ".join(candidates[0].reasons)
    assert "same product (Mail Server)" in reasons
    assert "same CWE-79" in reasons
    assert "/owa/signature/edit" in reasons
    assert "close text" in reasons
    assert all(candidate.score < candidates[0].score for candidate in candidates if candidate.report == unrelated)


def test_an_identical_attachment_is_a_strong_reason(db: None) -> None:
    original = ReportFactory.create(title="Crash", description="See the file.", product=ProductFactory.create())
    report = ReportFactory.create(title="Different words", description="Entirely.", product=ProductFactory.create())
    _attach(original, "ab" * 32)
    _attach(report, "ab" * 32)

    (candidate,) = [c for c in find_duplicate_candidates(report) if c.report == original]

    assert candidate.score >= 0.5
    assert any("identical attachment" in reason for reason in candidate.reasons)


def test_the_same_researchers_earlier_report_is_a_candidate_with_that_reason(db: None) -> None:
    original = ReportFactory.create(title="Open redirect after sign-in", description="The next parameter is trusted.")
    report = ReportFactory.create(
        researcher=original.researcher, product=ProductFactory.create(), title="Redirect", description="Again."
    )

    (candidate,) = [c for c in find_duplicate_candidates(report) if c.report == original]

    assert "same researcher (a resubmission?)" in candidate.reasons


def test_a_product_typed_in_counts_as_the_catalog_product_its_text_names(db: None) -> None:
    product = ProductFactory.create(name="Larkmoor Mail Server")
    original = ReportFactory.create(product=product, title="Header injection in the relay", description="CRLF.")
    report = ReportFactory.create(
        product=None,
        product_other="Larkmoor servidor de correo",
        title="Inyección de cabeceras",
        description="Probado en Larkmoor Mail Server 2.1.",
    )

    (candidate,) = [c for c in find_duplicate_candidates(report) if c.report == original]

    assert "product named in the text (Larkmoor Mail Server)" in candidate.reasons


def test_an_endpoint_in_many_reports_is_not_looked_up(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = ReportFactory.create(title="Crash", description="Reads /etc/hostname through the export.")
    report = ReportFactory.create(title="Path traversal", description="Reads /etc/hostname too.")
    monkeypatch.setattr(
        duplicates, "_common_terms", lambda terms, in_titles=False: set() if in_titles else {"/etc/hostname"}
    )

    found = {candidate.report for candidate in find_duplicate_candidates(report)}

    assert elsewhere not in found


def test_term_frequencies_read_without_statistics_skip_nothing(db: None) -> None:
    assert duplicates._common_terms(["/etc/hostname"]) == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="term frequencies come from PostgreSQL's statistics")
def test_an_endpoint_is_common_when_every_part_postgresql_makes_of_it_is(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(20):
        ReportFactory.create(description=f"SSRF {number} reads http://169.254.169.254/latest/meta-data from the host.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_report")
    monkeypatch.setattr(duplicates, "COMMON_TERM_REPORTS", 5)

    common = duplicates._common_terms(["http://169.254.169.254/latest/meta-data", "http://169.254.169.254/rare/path"])

    assert common == {"http://169.254.169.254/latest/meta-data"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="term frequencies come from PostgreSQL's statistics")
def test_title_words_in_many_titles_are_not_looked_up(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(20):
        ReportFactory.create(title=f"Server-side request forgery in importer {number}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_report")
    monkeypatch.setattr(duplicates, "COMMON_TERM_REPORTS", 5)

    assert duplicates._common_terms(["forgery request"], in_titles=True) == {"forgery request"}
    assert duplicates._common_terms(["forgery calendar"], in_titles=True) == set()


def test_candidates_load_in_a_bounded_number_of_queries(
    db: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    product = ProductFactory.create()
    for _ in range(30):
        ReportFactory.create(product=product, description="See /api/export and upload.php for the payload.")
    report = ReportFactory.create(product=product, description="Same: /api/export and upload.php.")

    with django_assert_max_num_queries(12):
        candidates = find_duplicate_candidates(report)
        assert all(candidate.report.product for candidate in candidates)

    assert len(candidates) == 10


def test_spam_and_the_report_itself_are_never_candidates(db: None) -> None:
    product = ProductFactory.create()
    spam = ReportFactory.create(product=product, state=Report.State.SPAM, title="XSS in search")
    report = ReportFactory.create(product=product, title="XSS in search")

    found = {candidate.report for candidate in find_duplicate_candidates(report)}

    assert spam not in found
    assert report not in found


# --- Marking a duplicate --------------------------------------------------------------------------


def test_mark_duplicate_links_tells_the_researcher_and_credits_the_first(
    analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    original = ReportFactory.create(state=Report.State.CONFIRMED)
    report = ReportFactory.create(state=Report.State.TRIAGING)

    with django_capture_on_commit_callbacks(execute=True):
        mark_duplicate(report, original, actor=analyst)

    report.refresh_from_db()
    assert (report.state, report.duplicate_of) == (Report.State.DUPLICATE, original)
    assert DuplicateCredit.objects.get(duplicate=report).credited == original
    assert [message.to for message in mail.outbox] == [[report.researcher.email]]
    assert "duplicate of an earlier report" in mail.outbox[0].body


def test_credit_to_the_later_report_needs_a_note(analyst: User) -> None:
    original = ReportFactory.create()
    report = ReportFactory.create(state=Report.State.TRIAGING)

    with pytest.raises(RuleViolation) as raised:
        mark_duplicate(report, original, actor=analyst, credit_to=report)
    mark_duplicate(report, original, actor=analyst, credit_to=report, credit_note="Theirs had the working exploit")

    assert raised.value.field == "credit_note"
    assert DuplicateCredit.objects.get(duplicate=report).credited == report


def test_credit_cannot_go_to_a_third_report(analyst: User) -> None:
    original, report, other = (
        ReportFactory.create(),
        ReportFactory.create(state=Report.State.TRIAGING),
        ReportFactory.create(),
    )

    with pytest.raises(RuleViolation, match="Credit goes to"):
        mark_duplicate(report, original, actor=analyst, credit_to=other, credit_note="x")


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_candidates_with_score_and_reasons(api: Api, analyst: User) -> None:
    product = ProductFactory.create(slug="mail-server")
    original = ReportFactory.create(
        product=product, title="SSRF in the webhook tester", description="Calls /hooks/test."
    )
    report = ReportFactory.create(
        product=product, title="Server-side request forgery in webhook tester", description="/hooks/test"
    )

    response = api(analyst).get(f"/reports/{report.pk}/duplicates")

    assert response.status_code == 200
    first = response.json()[0]
    assert (first["id"], first["product"]) == (original.pk, "mail-server")
    assert 0 < first["score"] <= 1
    assert first["reasons"]


@pytest.mark.parametrize("who", ["researcher", "outsider", "engineer"])
def test_similarity_scores_are_never_shown_outside_triage(
    api: Api, request: pytest.FixtureRequest, researcher: User, who: str
) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(request.getfixturevalue(who)).get(f"/reports/{report.pk}/duplicates")

    assert response.status_code == 404


def test_api_duplicate_of_in_one_action(api: Api, analyst: User) -> None:
    original = ReportFactory.create()
    report = ReportFactory.create(state=Report.State.TRIAGING)

    response = api(analyst).post(f"/reports/{report.pk}/duplicate-of", {"original_id": original.pk})

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["duplicate_of_id"]) == ("duplicate", original.pk)


def test_api_duplicate_of_itself_or_of_a_duplicate_is_422(api: Api, analyst: User) -> None:
    root = ReportFactory.create()
    middle = ReportFactory.create(state=Report.State.DUPLICATE, duplicate_of=root)
    report = ReportFactory.create(state=Report.State.TRIAGING)

    itself = api(analyst).post(f"/reports/{report.pk}/duplicate-of", {"original_id": report.pk})
    chain = api(analyst).post(f"/reports/{report.pk}/duplicate-of", {"original_id": middle.pk})

    assert (itself.status_code, problem_fields(itself)) == (422, ["duplicate_of"])
    assert chain.status_code == 422
    assert root.reference in chain.json()["detail"]
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING


def test_api_duplicate_of_a_hidden_or_missing_report_is_422(api: Api, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    response = api(analyst).post(f"/reports/{report.pk}/duplicate-of", {"original_id": 999999})

    assert (response.status_code, problem_fields(response)) == (422, ["original_id"])


def test_researcher_cannot_mark_duplicates(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.TRIAGING)

    response = api(researcher).post(f"/reports/{report.pk}/duplicate-of", {"original_id": ReportFactory.create().pk})

    assert response.status_code == 403


def test_known_vulnerabilities_of_the_same_product(api: Api, analyst: User, coordinator: User) -> None:
    product = ProductFactory.create()
    confirmed = ReportFactory.create(product=product, state=Report.State.CONFIRMED)
    case = create_case(title="Parser", reports=[confirmed], actor=coordinator)
    VulnerabilityFactory.create(case=case, title="Heap overflow in the PNG decoder", cve_id="CVE-2026-1111")
    VulnerabilityFactory.create(case=case, title="Spoofed sender name in mail", cve_id="CVE-2026-2222")
    elsewhere = create_case(
        title="Other", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator
    )
    VulnerabilityFactory.create(case=elsewhere, title="Heap overflow in the PNG decoder again")
    report = ReportFactory.create(
        product=product, title="PNG decoder heap overflow", description="A crafted PNG overflows the heap."
    )

    response = api(analyst).get(f"/reports/{report.pk}/known-vulnerabilities")

    found = response.json()
    assert [item["cve_id"] for item in found] == ["CVE-2026-1111", "CVE-2026-2222"]
    assert found[0]["case_reference"] == case.reference
    assert "close text" in " ".join(found[0]["reasons"])


def test_known_vulnerabilities_are_staff_only(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    assert api(researcher).get(f"/reports/{report.pk}/known-vulnerabilities").status_code == 404
