"""Recording vulnerabilities and their scores."""

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import record_event
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import Report, validate_cwe
from vulndesk.lib.cvss_vectors import CvssScore, InvalidCvssVector, score_cvss_vector
from vulndesk.messaging.events import announce_cve_assigned
from vulndesk.scoring.bug_bar import (
    DEFAULT_RULES,
    Conditions,
    NoRuleMatched,
    Proposal,
    Rule,
    conditions_from_cvss,
    highest_severity,
    propose_severity,
)
from vulndesk.scoring.models import (
    BugBarRule,
    ComponentCve,
    EpssScore,
    Exploitability,
    ExploitabilityAssessment,
    KnownExploitedVulnerability,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    ThreatImport,
    Vulnerability,
    validate_cve_id,
)
from vulndesk.scoring.priority import ACTIONS, Priority, PriorityInputs, compute_priority
from vulndesk.scoring.ssvc import InvalidSsvcValue, SsvcDecision, deployer_decision, supplier_decision
from vulndesk.scoring.tasks import notify_exploitability_change, notify_priority_raised
from vulndesk.scoring.threat_files import EpssFile, KevCatalog
from vulndesk.triage.clocks import load_targets, priority_key
from vulndesk.triage.models import Case, CaseReport, SlaClock


@dataclass(frozen=True)
class VulnerabilityDetails:
    title: str
    impact_type: str
    severity: str
    cve_id: str | None = None
    description: str = ""
    cwe: str = ""
    cvss_vector: str = ""


def score_vector(vector: str, *, field: str = "vector") -> CvssScore:
    """Score a CVSS vector, or raise RuleViolation on `field` with a message naming the bad metric."""
    try:
        return score_cvss_vector(vector)
    except InvalidCvssVector as error:
        message = str(error)
        if error.metric:
            message = f"{error.metric}: {message}"
        raise RuleViolation(message, field=field) from None


def _validated_fields(details: VulnerabilityDetails, *, exclude_pk: int | None = None) -> dict[str, Any]:
    if not details.title.strip():
        raise RuleViolation("Give the vulnerability a title.", field="title")
    if details.impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {details.impact_type!r}.", field="impact_type")
    if details.severity not in Severity.values:
        raise RuleViolation(
            f"Unknown severity {details.severity!r}; use critical, important, moderate or low.", field="severity"
        )
    cve_id = (details.cve_id or "").strip().upper() or None
    cwe = details.cwe.strip().upper()
    try:
        if cve_id:
            validate_cve_id(cve_id)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cve_id") from None
    try:
        validate_cwe(cwe)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cwe") from None
    same_cve = Vulnerability.objects.filter(cve_id=cve_id)
    if exclude_pk is not None:
        same_cve = same_cve.exclude(pk=exclude_pk)
    if cve_id and same_cve.exists():
        raise RuleViolation(f"{cve_id} is already recorded for another vulnerability.", field="cve_id")
    values: dict[str, Any] = {
        "title": details.title.strip(),
        "impact_type": details.impact_type,
        "severity": details.severity,
        "cve_id": cve_id,
        "description": details.description,
        "cwe": cwe,
        "cvss_vector": "",
        "cvss_version": "",
        "cvss_score": None,
    }
    if details.cvss_vector.strip():
        score = score_vector(details.cvss_vector, field="cvss_vector")
        values |= {"cvss_vector": score.vector, "cvss_version": score.version, "cvss_score": score.base_score}
    return values


@transaction.atomic
def create_vulnerability(case: Case, details: VulnerabilityDetails, *, actor: User) -> Vulnerability:
    values = _validated_fields(details)
    vulnerability = Vulnerability.objects.create(case=case, **values)
    record_event(
        vulnerability,
        tag="vulnerability:created",
        actor=actor,
        changes={name: (None, value) for name, value in values.items() if value not in ("", None)},
    )
    _record_score_changes(vulnerability, {"cvss_vector": "", "cvss_score": None, "severity": ""}, actor=actor)
    announce_cve_assigned(vulnerability)  # the researchers' threads (messaging)
    recompute_priorities([vulnerability.pk], actor=actor, reason="Recorded")
    vulnerability.refresh_from_db()
    return vulnerability


def _record_score_changes(
    vulnerability: Vulnerability, before: dict[str, Any], *, actor: User | None, rationale: str = ""
) -> None:
    """Append the scoring history rows for what changed between `before` and `vulnerability` now."""
    rows = []
    if before["cvss_vector"] != vulnerability.cvss_vector:
        rows.append(
            ScoreChange(
                kind=ScoreChange.Kind.CVSS,
                old_value=before["cvss_vector"],
                new_value=vulnerability.cvss_vector,
                old_score=before["cvss_score"],
                new_score=vulnerability.cvss_score,
            )
        )
    if before["severity"] != vulnerability.severity:
        rows.append(
            ScoreChange(kind=ScoreChange.Kind.SEVERITY, old_value=before["severity"], new_value=vulnerability.severity)
        )
    for row in rows:
        row.vulnerability = vulnerability
        row.changed_by = actor
        row.rationale = rationale
    ScoreChange.objects.bulk_create(rows)


@transaction.atomic
def update_vulnerability(
    vulnerability: Vulnerability, details: VulnerabilityDetails, *, actor: User, rationale: str = ""
) -> Vulnerability:
    """Replace the vulnerability's details; score changes keep old and new vector in the audit trail."""
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    values = _validated_fields(details, exclude_pk=vulnerability.pk)
    changes = {
        name: (getattr(vulnerability, name), value)
        for name, value in values.items()
        if getattr(vulnerability, name) != value
    }
    if not changes:
        return vulnerability
    before = {name: getattr(vulnerability, name) for name in ("cvss_vector", "cvss_score", "severity")}
    for name, value in values.items():
        setattr(vulnerability, name, value)
    vulnerability.save()
    record_event(vulnerability, tag="vulnerability:updated", actor=actor, changes=changes, rationale=rationale)
    _record_score_changes(vulnerability, before, actor=actor, rationale=rationale)
    if "cve_id" in changes:
        announce_cve_assigned(vulnerability, previous_cve_id=changes["cve_id"][0])  # the researchers' threads
    recompute_priorities([vulnerability.pk], actor=actor, reason="Details changed")
    vulnerability.refresh_from_db()
    return vulnerability


# --- Severity by impact type -----------------------------------------------------------------

_ANY_BOOL = {"": None, "yes": True, "no": False}


def _rule_from_row(row: BugBarRule) -> Rule:
    return Rule(
        name=row.name,
        severity=row.severity,
        explanation=row.explanation,
        impact_type=row.impact_type or None,
        attack_vector=row.attack_vector or None,
        requires_authentication=_ANY_BOOL[row.requires_authentication],
        requires_user_interaction=_ANY_BOOL[row.requires_user_interaction],
        is_default_configuration=_ANY_BOOL[row.is_default_configuration],
        product_kind=row.product_kind or None,
    )


# Every submission reads the bug bar (its preliminary priority), and it rarely changes: kept in the
# cache for a few seconds, dropped whenever a rule is saved or deleted (forget_cached_bug_bar).
# With a cache per process (the embedded default) another process may use the previous rules for
# those seconds; a report submitted just before the change keeps its priority from them anyway.
BUG_BAR_CACHE_KEY = "scoring:bug-bar"
_BUG_BAR_CACHE_SECONDS = 10


def active_bug_bar() -> tuple[Rule, ...]:
    """The organisation's bug bar rules in order; the MSRC-style defaults while none are configured."""
    rules: tuple[Rule, ...] | None = cache.get(BUG_BAR_CACHE_KEY)
    if rules is None:
        rows = list(BugBarRule.objects.all())
        rules = tuple(_rule_from_row(row) for row in rows) if rows else DEFAULT_RULES
        cache.set(BUG_BAR_CACHE_KEY, rules, _BUG_BAR_CACHE_SECONDS)
    return rules


def forget_cached_bug_bar() -> None:
    """Drop the cached rules after a change: now, for the changing transaction's own reads, and
    again once it commits, since a read elsewhere in between cached the rules still committed."""
    cache.delete(BUG_BAR_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(BUG_BAR_CACHE_KEY))


@transaction.atomic
def load_default_bug_bar(*, actor: User | None) -> int:
    """Replace the configured rules by the built-in defaults, so they can be edited; returns how many."""
    BugBarRule.objects.all().delete()
    as_choice = {None: "", True: "yes", False: "no"}
    BugBarRule.objects.bulk_create(
        BugBarRule(
            position=(index + 1) * 10,
            name=rule.name,
            impact_type=rule.impact_type or "",
            attack_vector=rule.attack_vector or "",
            requires_authentication=as_choice[rule.requires_authentication],
            requires_user_interaction=as_choice[rule.requires_user_interaction],
            is_default_configuration=as_choice[rule.is_default_configuration],
            product_kind=rule.product_kind or "",
            severity=rule.severity,
            explanation=rule.explanation,
        )
        for index, rule in enumerate(DEFAULT_RULES)
    )
    forget_cached_bug_bar()  # bulk_create sends no signal
    first = BugBarRule.objects.order_by("position").first()
    if first is not None:
        record_event(first, tag="bug_bar:defaults_loaded", actor=actor, changes={"rules": (None, len(DEFAULT_RULES))})
    return len(DEFAULT_RULES)


def severity_conditions(
    impact_type: str,
    *,
    cvss_vector: str = "",
    attack_vector: str | None = None,
    requires_authentication: bool | None = None,
    requires_user_interaction: bool | None = None,
    is_default_configuration: bool = True,
    product_kind: str | None = None,
    chained_impact_type: str | None = None,
) -> Conditions:
    """Bug bar conditions: given explicitly, or derived from a CVSS vector (explicit values win)."""
    derived: dict[str, Any] = {}
    if cvss_vector.strip():
        score = score_vector(cvss_vector, field="cvss_vector")
        if score.version not in ("3.0", "3.1", "4.0"):
            raise RuleViolation("Give a CVSS 3.x or 4.0 vector to derive conditions from.", field="cvss_vector")
        derived = vars(conditions_from_cvss(impact_type, score.metrics))
    explicit = {
        "attack_vector": attack_vector,
        "requires_authentication": requires_authentication,
        "requires_user_interaction": requires_user_interaction,
    }
    for name, value in explicit.items():
        if value is None and name not in derived:
            raise RuleViolation(f"Give {name}, or a cvss_vector to derive it from.", field=name)
    values = derived | {name: value for name, value in explicit.items() if value is not None}
    values |= {
        "impact_type": impact_type,
        "is_default_configuration": is_default_configuration,
        "product_kind": product_kind,
        "chained_impact_type": chained_impact_type,
    }
    return Conditions(**values)


def propose_product_severity(conditions: Conditions) -> Proposal:
    """The bug bar's proposal, or RuleViolation when no configured rule covers the conditions."""
    if conditions.impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {conditions.impact_type!r}.", field="impact_type")
    if conditions.chained_impact_type and conditions.chained_impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {conditions.chained_impact_type!r}.", field="chained_impact_type")
    try:
        return propose_severity(conditions, active_bug_bar())
    except NoRuleMatched as error:
        raise RuleViolation(f"{error} Add a rule for it to the bug bar in the admin.", field="impact_type") from None


@transaction.atomic
def assess_product_severity(
    vulnerability: Vulnerability,
    product: Product,
    conditions: Conditions,
    *,
    actor: User,
    severity: str | None = None,
    rationale: str = "",
) -> ProductSeverity:
    """Rate `vulnerability` in `product`: accept the bug bar's proposal, or override it with a rationale.

    The vulnerability's headline severity becomes the highest across its products, and a
    change of headline is kept in the scoring history.
    """
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    proposal = propose_product_severity(conditions)
    decided = severity or proposal.severity
    if decided not in Severity.values:
        raise RuleViolation(
            f"Unknown severity {decided!r}; use critical, important, moderate or low.", field="severity"
        )
    if decided != proposal.severity and not rationale.strip():
        raise RuleViolation(
            f"The bug bar proposes {proposal.severity}; say why you rate it {decided} (rationale).",
            field="rationale",
        )
    values = {
        "product_kind": conditions.product_kind or ProductSeverity.Kind.SERVER,
        "attack_vector": conditions.attack_vector,
        "requires_authentication": conditions.requires_authentication,
        "requires_user_interaction": conditions.requires_user_interaction,
        "is_default_configuration": conditions.is_default_configuration,
        "chained_impact_type": conditions.chained_impact_type or "",
        "proposed_severity": proposal.severity,
        "proposed_by_rule": proposal.rule.name,
        "severity": decided,
        "rationale": rationale.strip(),
        "assessed_by": actor,
        "assessed_at": timezone.now(),
    }
    assessment, _created = ProductSeverity.objects.update_or_create(
        vulnerability=vulnerability, product=product, defaults=values
    )
    record_event(
        vulnerability,
        tag="vulnerability:severity_assessed",
        actor=actor,
        changes={
            f"severity[{product.slug}]": (None, decided),
            "proposed": (None, f"{proposal.severity} ({proposal.rule.name})"),
        },
        rationale=rationale,
    )
    headline = highest_severity(list(vulnerability.product_severities.values_list("severity", flat=True)))
    if headline and headline != vulnerability.severity:
        before = {"cvss_vector": vulnerability.cvss_vector, "cvss_score": vulnerability.cvss_score}
        before["severity"] = vulnerability.severity
        vulnerability.severity = headline
        vulnerability.save(update_fields=["severity", "updated_at"])
        why = f"Highest severity across products ({product.name}: {decided})." + (f" {rationale}" if rationale else "")
        _record_score_changes(vulnerability, before, actor=actor, rationale=why.strip())
    recompute_priorities([vulnerability.pk], actor=actor, reason=f"Severity in {product.name}")
    return assessment


# --- Exploitability and SSVC -----------------------------------------------------------------


@transaction.atomic
def assess_exploitability(
    vulnerability: Vulnerability,
    *,
    latest_release: str,
    older_releases: str,
    is_publicly_disclosed: bool,
    is_exploited: bool,
    actor: User,
    rationale: str = "",
) -> ExploitabilityAssessment:
    """Record a new exploitability assessment; the vulnerability's followers are told after commit.

    Exploited means Exploitation Detected for the latest release, and the reverse: the two
    statements must agree. An unchanged assessment is not recorded again.
    """
    for field, value in (("latest_release", latest_release), ("older_releases", older_releases)):
        if value not in Exploitability.values:
            allowed = ", ".join(Exploitability.values)
            raise RuleViolation(f"Unknown exploitability {value!r}; use one of: {allowed}.", field=field)
    if is_exploited != (Exploitability.DETECTED in (latest_release, older_releases)):
        raise RuleViolation(
            "Exploited: yes goes with Exploitation Detected (and only with it); make the two agree.",
            field="is_exploited",
        )
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    current = vulnerability.exploitability.first()
    values = {
        "latest_release": latest_release,
        "older_releases": older_releases,
        "is_publicly_disclosed": is_publicly_disclosed,
        "is_exploited": is_exploited,
    }
    if current is not None and all(getattr(current, name) == value for name, value in values.items()):
        return current
    previous_priority = vulnerability.priority
    assessment = ExploitabilityAssessment.objects.create(
        vulnerability=vulnerability, assessed_by=actor, assessed_at=timezone.now(), rationale=rationale, **values
    )
    record_event(
        vulnerability,
        tag="vulnerability:exploitability_changed",
        actor=actor,
        changes={name: (getattr(current, name, None), value) for name, value in values.items()},
        rationale=rationale,
    )
    # The followers hear of the new assessment and the priority it leads to in one notification.
    recompute_priorities([vulnerability.pk], actor=actor, reason="Exploitability assessed", announce_raises=False)
    transaction.on_commit(
        partial(notify_exploitability_change.enqueue, assessment_id=assessment.pk, previous_priority=previous_priority)
    )
    return assessment


def decide_ssvc(tree: str, values: dict[str, str | None]) -> SsvcDecision:
    """Run the supplier or deployer tree, or raise RuleViolation naming the decision point at fault."""
    try:
        if tree == SsvcAssessment.Tree.SUPPLIER:
            return supplier_decision(
                exploitation=values.get("exploitation") or "",
                technical_impact=values.get("technical_impact") or "",
                public_safety_impact=values.get("public_safety_impact") or "",
                utility_value=values.get("utility"),
                automatable=values.get("automatable"),
                value_density=values.get("value_density"),
            )
        if tree == SsvcAssessment.Tree.DEPLOYER:
            return deployer_decision(
                exploitation=values.get("exploitation") or "",
                exposure=values.get("exposure") or "",
                automatable=values.get("automatable") or "",
                human_impact_value=values.get("human_impact"),
                safety_impact=values.get("safety_impact"),
                mission_impact=values.get("mission_impact"),
            )
    except InvalidSsvcValue as error:
        field = error.decision_point.name.lower().replace(" ", "_").replace("system_", "")
        raise RuleViolation(str(error), field=field) from None
    raise RuleViolation(f"Unknown SSVC tree {tree!r}; use supplier or deployer.", field="tree")


@transaction.atomic
def record_ssvc_decision(
    vulnerability: Vulnerability, decision: SsvcDecision, *, actor: User, rationale: str = ""
) -> SsvcAssessment:
    """Keep an SSVC decision for the vulnerability, with each decision point's version."""
    assessment = SsvcAssessment.objects.create(
        vulnerability=vulnerability,
        tree=decision.tree,
        outcome=decision.outcome,
        decision_points={
            key: {"name": name, "version": version, "value": value}
            for key, (name, version, value) in decision.inputs.items()
        },
        rationale=rationale,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    record_event(
        vulnerability,
        tag="vulnerability:ssvc_decided",
        actor=actor,
        changes={f"ssvc_{decision.tree}": (None, decision.vector)},
        rationale=rationale,
    )
    recompute_priorities([vulnerability.pk], actor=actor, reason="SSVC decision")
    return assessment


# --- Threat data: KEV and EPSS ---------------------------------------------------------------

_UPSERT_BATCH = 5_000
ThreatRow = TypeVar("ThreatRow", KnownExploitedVulnerability, EpssScore)


def _matched_vulnerability_ids(cve_ids: set[str]) -> set[int]:
    """Vulnerabilities whose own CVE id or one of whose component CVEs is in `cve_ids`."""
    own = Vulnerability.objects.filter(cve_id__isnull=False).values_list("pk", "cve_id")
    components = ComponentCve.objects.values_list("vulnerability_id", "cve_id")
    return {pk for pk, cve in [*own, *components] if cve in cve_ids}


def _upsert(model: type[ThreatRow], rows: list[dict[str, Any]], fields: list[str]) -> int:
    """Insert or update `rows` by CVE id; returns how many were new.

    On PostgreSQL the rows go through COPY into a temporary table and one INSERT … ON CONFLICT,
    which is what keeps a full EPSS file (about 300,000 rows) well under ten seconds; elsewhere
    through bulk_create with update_conflicts in batches.
    """
    if connection.vendor == "postgresql":
        return _upsert_postgresql(model, rows, fields)
    existing = set(model._default_manager.values_list("cve_id", flat=True))
    for start in range(0, len(rows), _UPSERT_BATCH):
        model._default_manager.bulk_create(
            [model(**row) for row in rows[start : start + _UPSERT_BATCH]],
            update_conflicts=True,
            unique_fields=["cve_id"],
            update_fields=fields,
        )
    return sum(1 for row in rows if row["cve_id"] not in existing)


def _upsert_postgresql(model: type[ThreatRow], rows: list[dict[str, Any]], fields: list[str]) -> int:
    table = model._meta.db_table
    columns = ["cve_id", *fields]
    column_list = ", ".join(columns)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in fields)
    with connection.cursor() as cursor:
        # Table and column names come from the model, never from input.
        cursor.execute(
            f"CREATE TEMPORARY TABLE threat_upsert ON COMMIT DROP AS SELECT {column_list} FROM {table} WITH NO DATA"  # noqa: S608
        )
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY threat_upsert ({column_list}) FROM STDIN") as copy:
            for row in rows:
                # Values are plain str, float, date and aware datetime, which COPY writes as they are.
                copy.write_row([row[name] for name in columns])
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM threat_upsert "  # noqa: S608
            f"ON CONFLICT (cve_id) DO UPDATE SET {updates} RETURNING (xmax = 0)"
        )
        created = sum(1 for (is_new,) in cursor.fetchall() if is_new)
        cursor.execute("DROP TABLE threat_upsert")
    return created


@transaction.atomic
def import_kev(catalog: KevCatalog, *, file_name: str, actor: User | None) -> ThreatImport:
    """Store a parsed KEV catalog (all or nothing) and re-prioritize the vulnerabilities it matches."""
    started, now = time.perf_counter(), timezone.now()
    rows = [entry | {"catalog_version": catalog.catalog_version, "imported_at": now} for entry in catalog.entries]
    fields = [name for name in rows[0] if name != "cve_id"]
    created = _upsert(KnownExploitedVulnerability, rows, fields)
    return _finish_import(
        ThreatImport.Kind.KEV, {row["cve_id"] for row in rows}, created, catalog.date_released,
        file_name=file_name, actor=actor, now=now, started=started,
    )  # fmt: skip


@transaction.atomic
def import_epss(scores: EpssFile, *, file_name: str, actor: User | None) -> ThreatImport:
    """Store parsed EPSS scores (all or nothing) and re-prioritize the vulnerabilities they match."""
    started, now = time.perf_counter(), timezone.now()
    common = {"score_date": scores.score_date, "model_version": scores.model_version, "imported_at": now}
    rows = [{"cve_id": cve, "epss": epss, "percentile": percentile} | common for cve, epss, percentile in scores.rows]
    created = _upsert(EpssScore, rows, ["epss", "percentile", "score_date", "model_version", "imported_at"])
    return _finish_import(
        ThreatImport.Kind.EPSS, {cve for cve, _epss, _percentile in scores.rows}, created, scores.score_date,
        file_name=file_name, actor=actor, now=now, started=started,
    )  # fmt: skip


def _finish_import(
    kind: str,
    cve_ids: set[str],
    created: int,
    data_date: dt.date | None,
    *,
    file_name: str,
    actor: User | None,
    now: dt.datetime,
    started: float,
) -> ThreatImport:
    matched = _matched_vulnerability_ids(cve_ids)
    recompute_priorities(matched, actor=actor, reason=f"{ThreatImport.Kind(kind).label} import")
    record = ThreatImport.objects.create(
        kind=kind,
        file_name=file_name[:300],
        rows=len(cve_ids),
        created=created,
        updated=len(cve_ids) - created,
        matched_vulnerabilities=len(matched),
        data_date=data_date,
        imported_by=actor,
        imported_at=now,
        seconds=time.perf_counter() - started,
    )
    record_event(
        record,
        tag=f"threat_data:{kind}_imported",
        actor=actor,
        changes={"rows": (None, record.rows), "matched_vulnerabilities": (None, record.matched_vulnerabilities)},
    )
    return record


# --- Priority --------------------------------------------------------------------------------

_PRIORITY_BATCH = 5_000


def _batch_filter(vulnerability_ids: list[int], field: str = "pk") -> Q:
    """Select a sorted batch of ids: by range when it is dense (no 5,000-parameter IN), else by IN."""
    first, last = vulnerability_ids[0], vulnerability_ids[-1]
    if last - first < 2 * len(vulnerability_ids):
        return Q(**{f"{field}__gte": first, f"{field}__lte": last})
    return Q(**{f"{field}__in": vulnerability_ids})


def _priority_inputs(vulnerability_ids: list[int]) -> dict[int, PriorityInputs]:
    """Everything priority depends on, for a sorted batch of vulnerabilities, in a handful of queries."""
    wanted = set(vulnerability_ids)
    in_batch = _batch_filter(vulnerability_ids)
    by_vulnerability = _batch_filter(vulnerability_ids, "vulnerability_id")
    vulnerabilities = [
        row
        for row in Vulnerability.objects.filter(in_batch).values_list(
            "pk", "severity", "impact_type", "cve_id", "affected_customers"
        )
        if row[0] in wanted
    ]
    cves: dict[int, set[str]] = {row[0]: {row[3]} if row[3] else set() for row in vulnerabilities}
    components = ComponentCve.objects.filter(by_vulnerability)
    for vulnerability_id, cve in components.values_list("vulnerability_id", "cve_id"):
        if vulnerability_id in cves:
            cves[vulnerability_id].add(cve)
    # Threat data is joined in the database rather than sent as thousands of CVE ids.
    batch_cves = Vulnerability.objects.filter(in_batch, cve_id__isnull=False).values("cve_id")
    component_cves = components.values("cve_id")
    threat = Q(cve_id__in=batch_cves) | Q(cve_id__in=component_cves)
    kev = dict(KnownExploitedVulnerability.objects.filter(threat).values_list("cve_id", "date_added"))
    epss = dict(EpssScore.objects.filter(threat).values_list("cve_id", "epss"))
    exploitability: dict[int, tuple[str, str, bool, bool]] = {}
    # Newest first, so the first row seen per vulnerability is the current assessment.
    for vulnerability_id, *values in (
        ExploitabilityAssessment.objects.filter(by_vulnerability)
        .order_by("vulnerability_id", "-assessed_at", "-id")
        .values_list("vulnerability_id", "latest_release", "older_releases", "is_publicly_disclosed", "is_exploited")
    ):
        exploitability.setdefault(vulnerability_id, tuple(values))  # type: ignore[arg-type]  # the four fields above
    ssvc: dict[int, str] = {}
    for vulnerability_id, outcome in (
        SsvcAssessment.objects.filter(by_vulnerability, tree=SsvcAssessment.Tree.SUPPLIER)
        .order_by("vulnerability_id", "-decided_at", "-id")
        .values_list("vulnerability_id", "outcome")
    ):
        ssvc.setdefault(vulnerability_id, outcome)
    kinds: dict[int, set[str]] = {}
    for vulnerability_id, kind in ProductSeverity.objects.filter(by_vulnerability).values_list(
        "vulnerability_id", "product_kind"
    ):
        kinds.setdefault(vulnerability_id, set()).add(kind)

    inputs = {}
    for pk, severity, impact_type, _cve, customers in vulnerabilities:
        latest, older, is_disclosed, is_exploited = exploitability.get(pk, ("", "", False, False))
        kev_dates = [kev[cve] for cve in cves[pk] if cve in kev]
        epss_values = [epss[cve] for cve in cves[pk] if cve in epss]
        inputs[pk] = PriorityInputs(
            severity=severity,
            impact_type=impact_type,
            latest_release=latest,
            older_releases=older,
            is_publicly_disclosed=is_disclosed,
            is_exploited=is_exploited,
            ssvc_outcome=ssvc.get(pk, ""),
            kev_date_added=min(kev_dates) if kev_dates else None,
            epss=max(epss_values) if epss_values else None,
            is_internet_facing=(ProductSeverity.Kind.ONLINE_SERVICE in kinds[pk]) if pk in kinds else None,
            affected_customers=customers,
        )
    return inputs


def fix_targets() -> dict[int, str]:
    """The triage SLA fix clock's target for each priority, as configured (`triage.SlaTarget`) or by default."""
    targets = load_targets()
    return {level: str(targets[(SlaClock.FIX, priority_key(level))]) for level in ACTIONS}


def priority_of(vulnerability: Vulnerability) -> Priority:
    """The computed priority of one vulnerability with its reasons (ignores any override)."""
    return compute_priority(_priority_inputs([vulnerability.pk])[vulnerability.pk], fix_targets())


def recompute_priorities(
    vulnerability_ids: Iterable[int], *, actor: User | None, reason: str, announce_raises: bool = True
) -> int:
    """Recompute the priority of these vulnerabilities and of their cases' reports; returns how many changed.

    Called whenever an input changes (severity, exploitability, SSVC, threat data, product
    exposure, fix targets). A change is kept in each vulnerability's scoring history with
    `reason`; with `announce_raises`, a priority that became more urgent is announced to the
    vulnerability's followers after commit.
    """
    ids = sorted(set(vulnerability_ids))
    changed = 0
    targets = fix_targets()
    for start in range(0, len(ids), _PRIORITY_BATCH):
        batch = ids[start : start + _PRIORITY_BATCH]
        changed += _recompute_batch(batch, actor=actor, reason=reason, targets=targets, announce_raises=announce_raises)
    return changed


@transaction.atomic
def _recompute_batch(
    ids: list[int], *, actor: User | None, reason: str, targets: dict[int, str], announce_raises: bool
) -> int:
    wanted = set(ids)
    current = [
        row
        for row in Vulnerability.objects.filter(_batch_filter(ids))
        .select_for_update()
        .values_list("pk", "priority", "priority_computed", "priority_explanation", "priority_override", "case_id")
        if row[0] in wanted
    ]
    inputs = _priority_inputs(ids)
    now = timezone.now()
    # Few distinct (priority, explanation) pairs exist, so one UPDATE per pair beats bulk_update's CASE per row.
    groups: dict[tuple[int, int, str], list[int]] = {}
    history: list[ScoreChange] = []
    is_raise: list[bool] = []
    changed_cases: set[int] = set()
    results: dict[PriorityInputs, Priority] = {}
    for pk, priority, computed, explanation, override, case_id in current:
        result = results.get(inputs[pk]) or results.setdefault(inputs[pk], compute_priority(inputs[pk], targets))
        effective = override if override is not None else result.level
        if (computed, explanation, priority) == (result.level, result.explanation, effective):
            continue
        if priority != effective:
            history.append(
                ScoreChange(
                    vulnerability_id=pk,
                    kind=ScoreChange.Kind.PRIORITY,
                    changed_by=actor,
                    old_value="" if priority is None else f"P{priority}",
                    new_value=f"P{effective}",
                    rationale=f"{reason}: {result.explanation}",
                )
            )
            # More urgent than before (not a first priority): the followers should hear of it.
            is_raise.append(priority is not None and effective < priority)
        groups.setdefault((effective, result.level, result.explanation), []).append(pk)
        changed_cases.add(case_id)
    for (priority, computed, explanation), pks in groups.items():
        Vulnerability.objects.filter(pk__in=pks).update(
            priority=priority, priority_computed=computed, priority_explanation=explanation, priority_updated_at=now
        )
    ScoreChange.objects.bulk_create(history, batch_size=_UPSERT_BATCH)
    _set_report_priorities(changed_cases)
    raised = [change.pk for change, raise_ in zip(history, is_raise, strict=True) if raise_]
    if announce_raises and raised:
        transaction.on_commit(partial(notify_priority_raised.enqueue, score_change_ids=raised))
    return sum(len(pks) for pks in groups.values())


def _set_report_priorities(case_ids: set[int]) -> None:
    """Each report in these cases takes its case's most urgent vulnerability priority (for the queue)."""
    if not case_ids:
        return
    by_priority: dict[int | None, list[int]] = {}
    for row in (
        Vulnerability.objects.filter(case_id__in=case_ids).values("case_id").annotate(most_urgent=Min("priority"))
    ):
        by_priority.setdefault(row["most_urgent"], []).append(row["case_id"])
    for priority, cases in by_priority.items():
        Report.objects.filter(case_link__case_id__in=cases).update(priority=priority)


@transaction.atomic
def override_priority(
    vulnerability: Vulnerability, priority: int | None, *, actor: User, rationale: str
) -> Vulnerability:
    """Set the priority by hand (or give it back to the computation with None); a rationale is required."""
    if priority is not None and priority not in ACTIONS:
        raise RuleViolation("Priority is 0 (P0, most urgent) to 4 (P4).", field="priority")
    if not rationale.strip():
        raise RuleViolation("Say why the priority is set by hand (rationale).", field="rationale")
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    before = vulnerability.priority
    vulnerability.priority_override = priority
    vulnerability.priority_override_rationale = rationale.strip() if priority is not None else ""
    vulnerability.save(update_fields=["priority_override", "priority_override_rationale", "updated_at"])
    record_event(
        vulnerability,
        tag="vulnerability:priority_overridden" if priority is not None else "vulnerability:priority_override_removed",
        actor=actor,
        changes={"priority": (before, priority)},
        rationale=rationale,
    )
    # Recompute so that `priority`, history and the reports follow the override (or its removal).
    recompute_priorities([vulnerability.pk], actor=actor, reason=f"Override by {actor}: {rationale.strip()}")
    vulnerability.refresh_from_db()
    return vulnerability


@transaction.atomic
def add_component_cve(vulnerability: Vulnerability, cve_id: str, component: str, *, actor: User) -> ComponentCve:
    """Record a third-party component CVE the vulnerability inherits; threat data then matches on it too."""
    cve_id = cve_id.strip().upper()
    try:
        validate_cve_id(cve_id)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cve_id") from None
    if not component.strip():
        raise RuleViolation("Name the component, e.g. OpenSSL 3.0.7.", field="component")
    if vulnerability.component_cves.filter(cve_id=cve_id).exists():
        raise RuleViolation(f"{cve_id} is already listed for this vulnerability.", field="cve_id")
    link = ComponentCve.objects.create(vulnerability=vulnerability, cve_id=cve_id, component=component.strip())
    record_event(
        vulnerability,
        tag="vulnerability:component_cve_added",
        actor=actor,
        changes={"component_cve": (None, str(link))},
    )
    recompute_priorities([vulnerability.pk], actor=actor, reason=f"Component {link}")
    return link


def sync_case_report_priorities() -> int:
    """Give every report in a case its case's most urgent vulnerability priority; returns how many changed.

    Recomputation does this for the cases it touches; this catches reports that joined a case
    afterwards (triage links reports to cases and cannot call scoring).
    """
    changed = 0
    urgency = Vulnerability.objects.filter(case_id=OuterRef("case_link__case_id"), priority__isnull=False)
    stale = (
        Report.objects.filter(case_link__isnull=False)
        .annotate(case_priority=Subquery(urgency.order_by("priority").values("priority")[:1]))
        .exclude(case_priority=None)
        .exclude(priority=F("case_priority"))
        .values_list("pk", "case_priority")
    )
    by_level: dict[int, list[int]] = {}
    for pk, level in stale:
        by_level.setdefault(level, []).append(pk)
    for level, pks in by_level.items():
        changed += Report.objects.filter(pk__in=pks).update(priority=level)
    return changed


def set_joined_report_priority(link: CaseReport) -> None:
    """A report that joins a case takes the case's most urgent vulnerability priority at once.

    Triage cannot call scoring, so it sends `report_joined_case` inside the joining transaction
    and scoring's receiver calls this. While the case has no prioritized vulnerability, the
    report keeps what it has (a preliminary priority, or none).
    """
    most_urgent = Vulnerability.objects.filter(case_id=link.case_id).aggregate(most_urgent=Min("priority"))
    if most_urgent["most_urgent"] is not None:
        Report.objects.filter(pk=link.report_id).update(priority=most_urgent["most_urgent"])


def refresh_priority_explanations() -> int:
    """The fix targets changed: recompute every vulnerability, so each stored explanation names the new target.

    Levels do not depend on the targets, so no priority moves; returns how many explanations changed.
    """
    return recompute_priorities(
        Vulnerability.objects.values_list("pk", flat=True), actor=None, reason="Fix targets changed"
    )


def preliminary_priority(impact_type: str, vector: str, *, rules: Sequence[Rule]) -> int | None:
    """The priority a researcher's impact type and suggested vector imply, before anyone scored it.

    The bug bar proposes a severity from the impact type and the conditions the vector implies;
    the priority is that severity's starting level (no exploitation evidence is known yet).
    None without an impact type, a usable 3.x/4.0 vector or a bug bar rule that matches.
    """
    if not impact_type or not vector:
        return None
    try:
        score = score_cvss_vector(vector)
    except InvalidCvssVector:
        return None
    if score.version not in ("3.0", "3.1", "4.0"):
        return None
    try:
        proposal = propose_severity(conditions_from_cvss(impact_type, score.metrics), rules)
    except NoRuleMatched:
        return None
    # Only the level is kept, and it does not depend on the fix targets (only explanations name them).
    unnamed_targets = dict.fromkeys(ACTIONS, "")
    return compute_priority(PriorityInputs(severity=proposal.severity, impact_type=impact_type), unnamed_targets).level


def set_new_report_priority(report: Report) -> int | None:
    """Give a report being submitted its preliminary priority (intake's `report_prepared` signal).

    On the report in hand, before intake saves it: a submission costs one small read (the bug bar).
    """
    if report.priority is None and report.impact_type and report.suggested_cvss_vector:
        report.priority = preliminary_priority(report.impact_type, report.suggested_cvss_vector, rules=active_bug_bar())
    return report.priority


def set_preliminary_report_priorities() -> int:
    """A preliminary priority for every open report not in a case that still has none; returns how many were set.

    New reports get theirs at submission (`set_new_report_priority`); this hourly sweep
    (`vulndesk scoring prioritize-reports`) catches the rest, such as reports a new bug bar rule
    now matches. A report's priority is replaced by its case's once it joins one.
    """
    closed = [*Report.CLOSED_STATES, Report.State.FIXED]
    candidates = (
        Report.objects.filter(priority__isnull=True, case_link__isnull=True)
        .exclude(state__in=closed)
        .exclude(impact_type="")
        .exclude(suggested_cvss_vector="")
        .values_list("pk", "impact_type", "suggested_cvss_vector")
    )
    by_level: dict[int, list[int]] = {}
    rules = active_bug_bar()
    for pk, impact_type, vector in candidates.iterator():
        level = preliminary_priority(impact_type, vector, rules=rules)
        if level is not None:
            by_level.setdefault(level, []).append(pk)
    for level, pks in by_level.items():
        Report.objects.filter(pk__in=pks, priority__isnull=True).update(priority=level)
    return sum(len(pks) for pks in by_level.values())


@transaction.atomic
def set_affected_customers(
    vulnerability: Vulnerability, count: int | None, *, actor: User, rationale: str = ""
) -> Vulnerability:
    """Record how many customers run an affected version (None: unknown); the priority follows."""
    if count is not None and count < 0:
        raise RuleViolation("The number of customers cannot be negative.", field="affected_customers")
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    before = vulnerability.affected_customers
    if before == count:
        return vulnerability
    vulnerability.affected_customers = count
    vulnerability.save(update_fields=["affected_customers", "updated_at"])
    record_event(
        vulnerability,
        tag="vulnerability:customers_changed",
        actor=actor,
        changes={"affected_customers": (before, count)},
        rationale=rationale,
    )
    recompute_priorities([vulnerability.pk], actor=actor, reason="Affected customers")
    vulnerability.refresh_from_db()
    return vulnerability
