"""KEV and EPSS imports: validated, all-or-nothing, idempotent, matched to vulnerabilities by CVE id."""

import gzip
import json
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from vulndesk.core.tests.factories import VulnerabilityFactory
from vulndesk.scoring.models import ComponentCve, EpssScore, KnownExploitedVulnerability, ThreatImport
from vulndesk.scoring.services import import_epss, import_kev
from vulndesk.scoring.threat_files import ThreatFileError, parse_epss, parse_kev

EPSS_TEXT = (
    "#model_version:v2025.03.14,score_date:2025-03-16T12:55:00Z\n"
    "cve,epss,percentile\n"
    "CVE-2026-10001,0.94,0.999\n"
    "CVE-1999-0001,0.01,0.5\n"
)


def _kev_entry(cve: str, **overrides: Any) -> dict[str, Any]:
    return {
        "cveID": cve,
        "vendorProject": "Larkmoor",
        "product": "Gateway",
        "vulnerabilityName": "Larkmoor Gateway RCE",
        "dateAdded": "2026-11-20",
        "shortDescription": "Heap overflow.",
        "requiredAction": "Apply updates.",
        "dueDate": "2026-12-11",
        "knownRansomwareCampaignUse": "Unknown",
    } | overrides


def _kev_bytes(*entries: dict[str, Any]) -> bytes:
    return json.dumps(
        {"catalogVersion": "2026.11.20", "dateReleased": "2026-11-20T15:00:00.000Z", "vulnerabilities": list(entries)}
    ).encode()


def test_epss_plain_and_gzip_read_the_same() -> None:
    plain = parse_epss(BytesIO(EPSS_TEXT.encode()))
    zipped = parse_epss(BytesIO(gzip.compress(EPSS_TEXT.encode())))

    assert plain.rows == zipped.rows == [("CVE-2026-10001", 0.94, 0.999), ("CVE-1999-0001", 0.01, 0.5)]
    assert (plain.model_version, str(plain.score_date)) == ("v2025.03.14", "2025-03-16")


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (EPSS_TEXT + "CVE-2026-1,0.5,0.5\n", "line 5", "is not a CVE id"),
        (EPSS_TEXT + "CVE-2026-10002,0.5\n", "line 5", "expected 3 values"),
        (EPSS_TEXT + "CVE-2026-10002,high,0.5\n", "line 5", "must be numbers"),
        (EPSS_TEXT + "CVE-2026-10002,1.5,0.5\n", "line 5", "between 0 and 1"),
        (EPSS_TEXT + "CVE-2026-10001,0.5,0.5\n", "line 5", "appears twice"),
        ("cveID,score\nCVE-2026-10001,0.5\n", "line 1", "expected the header"),
    ],
)
def test_epss_errors_name_the_line(text: str, where: str, what: str) -> None:
    with pytest.raises(ThreatFileError, match=what) as raised:
        parse_epss(BytesIO(text.encode()))

    assert raised.value.where == where


def test_truncated_gzip_is_reported() -> None:
    data = gzip.compress(
        (EPSS_TEXT * 1).encode() + b"".join(b"CVE-2026-%05d,0.1,0.1\n" % n for n in range(20000, 30000))
    )

    with pytest.raises(ThreatFileError, match="ends early"):
        parse_epss(BytesIO(data[: len(data) // 2]))


def test_empty_epss_file_is_refused() -> None:
    with pytest.raises(ThreatFileError, match="no scores found"):
        parse_epss(BytesIO(b"cve,epss,percentile\n"))


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (_kev_bytes(_kev_entry("CVE-2026-10001"))[:-20], "not valid JSON"),
        (b'{"title": "something else"}', "no 'vulnerabilities' list"),
        (
            _kev_bytes(_kev_entry("CVE-2026-10001"), _kev_entry("CVE-26-1")),
            r"entry 2 \(CVE-26-1\): 'CVE-26-1' is not a CVE id",
        ),
        (_kev_bytes(_kev_entry("CVE-2026-10001", dateAdded="")), r"entry 1 \(CVE-2026-10001\): missing dateAdded"),
        (_kev_bytes(_kev_entry("CVE-2026-10001", dateAdded="soon")), "dateAdded 'soon' is not a date"),
        (_kev_bytes(_kev_entry("CVE-2026-10001"), _kev_entry("CVE-2026-10001")), "appears twice"),
        (_kev_bytes(), "lists no vulnerabilities"),
    ],
)
def test_kev_errors_name_the_entry(data: bytes, what: str) -> None:
    with pytest.raises(ThreatFileError, match=what):
        parse_kev(data)


@pytest.mark.django_db
def test_kev_import_stores_entries_and_reprioritizes_matches() -> None:
    vulnerability = VulnerabilityFactory.create(cve_id="CVE-2026-10001", severity="important", impact_type="eop")

    record = import_kev(parse_kev(_kev_bytes(_kev_entry("CVE-2026-10001"), _kev_entry("CVE-2020-0001"))),
                        file_name="kev.json", actor=None)  # fmt: skip

    assert (record.rows, record.created, record.updated, record.matched_vulnerabilities) == (2, 2, 0, 1)
    assert str(record.data_date) == "2026-11-20"
    vulnerability.refresh_from_db()
    assert vulnerability.priority == 0
    assert "in CISA KEV since 2026-11-20" in vulnerability.priority_explanation


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing_the_second_time() -> None:
    catalog = parse_kev(_kev_bytes(_kev_entry("CVE-2026-10001")))
    import_kev(catalog, file_name="kev.json", actor=None)

    record = import_kev(catalog, file_name="kev.json", actor=None)

    assert (record.created, record.updated) == (0, 1)
    assert KnownExploitedVulnerability.objects.count() == 1


@pytest.mark.django_db
def test_epss_matches_third_party_component_cves() -> None:
    vulnerability = VulnerabilityFactory.create(cve_id=None, severity="moderate", impact_type="info")
    ComponentCve.objects.create(vulnerability=vulnerability, cve_id="CVE-1999-0001", component="libfoo 1.2")

    record = import_epss(parse_epss(BytesIO(EPSS_TEXT.replace("0.01,0.5", "0.3,0.97").encode())),
                         file_name="epss.csv", actor=None)  # fmt: skip

    assert record.matched_vulnerabilities == 1
    vulnerability.refresh_from_db()
    assert vulnerability.priority == 2
    assert "EPSS 30%" in vulnerability.priority_explanation


@pytest.mark.django_db
def test_epss_reimport_updates_scores() -> None:
    import_epss(parse_epss(BytesIO(EPSS_TEXT.encode())), file_name="a.csv", actor=None)

    import_epss(
        parse_epss(BytesIO(EPSS_TEXT.replace("0.94,0.999", "0.5,0.99").encode())), file_name="b.csv", actor=None
    )

    assert EpssScore.objects.get(cve_id="CVE-2026-10001").epss == 0.5
    assert EpssScore.objects.count() == 2


@pytest.mark.django_db
def test_command_imports_gzip_epss_and_prints_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "epss_scores-2025-03-16.csv.gz"
    path.write_bytes(gzip.compress(EPSS_TEXT.encode()))
    out = StringIO()

    call_command("threat", "import", "epss", str(path), stdout=out, stderr=StringIO())

    assert "Imported 2 FIRST EPSS scores rows dated 2025-03-16" in out.getvalue()
    assert "2 new, 0 updated" in out.getvalue()
    assert ThreatImport.objects.get().kind == "epss"


@pytest.mark.django_db
def test_command_with_a_bad_line_imports_nothing_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "epss.csv"
    path.write_text(EPSS_TEXT + "CVE-2026-10002,0.5,oops\n")

    with pytest.raises(CommandError, match=r"line 5: .*must be numbers.*Nothing was imported"):
        call_command("threat", "import", "epss", str(path), stdout=StringIO(), stderr=StringIO())

    assert not EpssScore.objects.exists()


@pytest.mark.django_db
def test_command_imports_kev(tmp_path: Path) -> None:
    path = tmp_path / "known_exploited_vulnerabilities.json"
    path.write_bytes(_kev_bytes(_kev_entry("CVE-2026-10001")))
    out = StringIO()

    call_command("threat", "import", "kev", str(path), stdout=out, stderr=StringIO())

    assert "Imported 1 CISA KEV catalog rows dated 2026-11-20" in out.getvalue()


def test_command_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("threat", "import", "kev", str(tmp_path / "nope.json"))
