"""Seeding the demo: the plan is replayed through the services, then dated as the story says.

Everything goes through the same services people use (`submit_report`, `transition_report`,
`create_case`, …), so the demo has the state history and audit trail real work leaves.

Idempotent per object: each object is looked up by its natural key (email, slug, product and
version, the researcher's report title, case title, CVE id, release name, advisory title). One
that exists is counted as already present and left alone; only objects created in this run are
moved along their story. The whole run is one transaction: it seeds everything or nothing.
"""

import bisect
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models, transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.backends.dummy import DummyBackend

from vulndesk.accounts.models import User
from vulndesk.accounts.services import create_user
from vulndesk.advisories.models import Advisory
from vulndesk.advisories.services import create_advisory, transition_advisory
from vulndesk.catalog.models import Product, ProductVersion, Team
from vulndesk.core.errors import DomainError
from vulndesk.core.models import StateInterval
from vulndesk.demo.data import DEMO_PASSWORD, EMAIL_DOMAIN, PEOPLE, PRODUCTS, TEAMS, VENDOR
from vulndesk.demo.plan import (
    CATALOG_AGE,
    AdvisoryPlan,
    CasePlan,
    DemoPlan,
    Move,
    ReleasePlan,
    ReportPlan,
    ScoringPlan,
    VulnerabilityPlan,
    build_plan,
)
from vulndesk.demo.plan import end_of_support as plan_end_of_support
from vulndesk.intake.models import Report
from vulndesk.intake.services import ReportSubmission, submit_report
from vulndesk.releases.models import Release
from vulndesk.releases.services import create_release, transition_release
from vulndesk.remediation.models import Fix
from vulndesk.remediation.services import create_fix, transition_fix
from vulndesk.scoring.models import (
    EpssScore,
    ExploitabilityAssessment,
    KnownExploitedVulnerability,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    ThreatImport,
    Vulnerability,
)
from vulndesk.scoring.services import (
    VulnerabilityDetails,
    assess_exploitability,
    assess_product_severity,
    create_vulnerability,
    decide_ssvc,
    import_epss,
    import_kev,
    record_ssvc_decision,
    severity_conditions,
)
from vulndesk.scoring.threat_files import parse_epss, parse_kev
from vulndesk.triage.models import Case, CaseReport
from vulndesk.triage.services import create_case, transition_case, transition_report

KINDS = (
    "users",
    "teams",
    "products",
    "product versions",
    "reports",
    "cases",
    "vulnerabilities",
    "fixes",
    "releases",
    "advisories",
    "threat imports",
)
# The rows whose timestamps are moved to the story's dates after the run, and their date fields.
# The audit trail is not among them: it is append-only, so its events keep the moment they were
# really written, which is the truth (the demo was seeded then, by nobody in particular).
_DATED: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (User, ("date_joined",)),
    (Team, ("created_at", "updated_at")),
    (Product, ("created_at", "updated_at")),
    (ProductVersion, ("created_at", "updated_at")),
    (Report, ("created_at", "updated_at")),
    (Case, ("created_at", "updated_at")),
    (CaseReport, ("added_at",)),
    (Vulnerability, ("created_at", "updated_at", "priority_updated_at")),
    (ScoreChange, ("changed_at",)),
    (ProductSeverity, ("assessed_at",)),
    (ExploitabilityAssessment, ("assessed_at",)),
    (SsvcAssessment, ("decided_at",)),
    (KnownExploitedVulnerability, ("imported_at",)),
    (EpssScore, ("imported_at",)),
    (ThreatImport, ("imported_at",)),
    (Fix, ("created_at", "updated_at")),
    (Release, ("created_at", "updated_at", "released_at")),
    (Advisory, ("created_at", "updated_at", "published_at")),
    (StateInterval, ("entered_at", "exited_at")),
)


@dataclass
class SeedSummary:
    today: dt.date
    created: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notifications_suppressed: int = 0


def demo_today() -> dt.datetime:
    """The demo's "today": the moment it was first seeded, recovered from its catalog.

    Releases are named after months counted from this day, so a run next month finds the
    releases the first run made instead of seeding a new month.
    """
    now = timezone.now()
    first = Team.objects.filter(slug=TEAMS[0].slug).values_list("created_at", flat=True).first()
    if first is None or first + CATALOG_AGE > now:
        return now.replace(microsecond=0)
    return (first + CATALOG_AGE).replace(microsecond=0)


def seed_demo(*, today: dt.datetime | None = None, progress: Callable[[str], None] | None = None) -> SeedSummary:
    """Seed the Larkmoor Systems demo, or whatever part of it is missing; see the module docstring."""
    say = progress or (lambda _message: None)
    # Replaying months of history would notify the fictional researchers of every state change
    # at once (the services enqueue a task per change, after commit). They would have been told
    # at the time, and their addresses can't receive mail anyway. So the run uses django-tasks'
    # dummy backend, which accepts tasks and drops them: no mail is sent and no task rows pile up
    # in the database queue. django-tasks rebuilds its backends when TASKS changes, on the
    # setting_changed signal that override_settings sends.
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        with transaction.atomic():
            plan = build_plan(today or demo_today())
            summary = _Seeder(plan, say).run()
        backend = task_backends["default"]
        if isinstance(backend, DummyBackend):
            summary.notifications_suppressed = len(backend.results)
    return summary


@dataclass(order=True)
class _Step:
    at: dt.datetime
    order: int
    label: str = field(compare=False)
    run: Callable[[], None] = field(compare=False)


class _Clock:
    """Maps the real moments at which steps ran onto the story's moments.

    Step k began at real time r_k and stands for story time p_k; a timestamp t written during
    it becomes p_k + (t - r_k). A step's story time is pushed later when the step before it took
    longer than the gap between them, so the mapping never reorders two timestamps: an interval
    still exits after it entered, and an object is still updated after it was created.
    """

    def __init__(self) -> None:
        self.real: list[dt.datetime] = []
        self.story: list[dt.datetime] = []
        self.end: dt.datetime | None = None

    def begin(self, story_at: dt.datetime) -> None:
        now = timezone.now()
        if self.real:
            story_at = max(story_at, self.story[-1] + (now - self.real[-1]))
        self.real.append(now)
        self.story.append(story_at)

    def stop(self) -> None:
        self.end = timezone.now()

    def covers(self, value: dt.datetime | None) -> bool:
        return value is not None and bool(self.real) and self.end is not None and self.real[0] <= value <= self.end

    def to_story(self, value: dt.datetime) -> dt.datetime:
        index = bisect.bisect_right(self.real, value) - 1
        return self.story[index] + (value - self.real[index])


class _Seeder:
    def __init__(self, plan: DemoPlan, say: Callable[[str], None]) -> None:
        self.plan = plan
        self.say = say
        self.summary = SeedSummary(today=plan.today.date())
        self.steps: list[_Step] = []
        self.clock = _Clock()
        # Natural key -> primary key. Objects are re-read in every step: the services change
        # related rows (a fix moves its case), so instances kept from an earlier step go stale.
        self.people: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.reports: dict[str, int] = {}
        self.cases: dict[str, int] = {}
        self.vulnerabilities: dict[str, int] = {}
        self.fixes: dict[tuple[str, str, str], int] = {}
        self.releases: dict[str, int] = {}
        self.advisories: dict[str, int] = {}
        self.fresh: set[tuple[str, Any]] = set()  # (kind, natural key) of objects created in this run

    # Running ----------------------------------------------------------------------------------

    def run(self) -> SeedSummary:
        self.plan_steps()
        self.steps.sort()
        total = len(self.steps)
        self.say(f"Seeding the {VENDOR} demo (its today: {self.plan.today:%Y-%m-%d}): {total} steps of history.")
        next_report = 10
        for number, step in enumerate(self.steps, 1):
            self.clock.begin(step.at)
            try:
                # A savepoint per step: a step that breaks a rule (data changed by hand since the
                # last run) is rolled back and reported, and the rest of the demo still seeds.
                with transaction.atomic():
                    step.run()
            except (DomainError, LookupError) as error:
                self.summary.problems.append(f"{step.label}: {error}")
            if number * 100 >= next_report * total:
                self.say(f"  {next_report:3d}% ({number}/{total} steps, story at {step.at:%Y-%m-%d})")
                next_report += 10
        self.clock.stop()
        self.say("Dating the history as the story tells it…")
        self.backdate()
        return self.summary

    def add(self, at: dt.datetime, label: str, action: Callable[[], None]) -> None:
        self.steps.append(_Step(at=at, order=len(self.steps), label=label, run=action))

    def tally(self, kind: str, key: Any, *, created: bool) -> None:
        if created:
            self.made(kind, key)
        else:
            self.found(kind)

    def found(self, kind: str) -> None:
        self.summary.present[kind] += 1

    def made(self, kind: str, key: Any) -> None:
        self.summary.created[kind] += 1
        self.fresh.add((kind, key))

    def person(self, key: str) -> User:
        return User.objects.get(pk=self.people[key])

    def backdate(self) -> None:
        """Move the timestamps written in this run to the story's dates.

        Services stamp rows with the real time, and there is no way to tell them otherwise, so
        the dates are rewritten afterwards with bulk updates (no save(), so `auto_now` fields keep
        the values given). Only rows written during this run fall in the clock's window.
        """
        for model, fields in _DATED:
            window = models.Q()
            for name in fields:
                window |= models.Q(**{f"{name}__gte": self.clock.real[0], f"{name}__lte": self.clock.end})
            rows = list(model._default_manager.filter(window).only("pk", *fields))
            for row in rows:
                for name in fields:
                    value = getattr(row, name)
                    if self.clock.covers(value):
                        setattr(row, name, self.clock.to_story(value))
            model._default_manager.bulk_update(rows, fields, batch_size=500)

    # The plan as steps ---------------------------------------------------------------------------

    def plan_steps(self) -> None:
        self.add(self.plan.catalog_at, "people and catalog", self.seed_people_and_catalog)
        for release in self.plan.releases:
            self.add(release.created_at, f"release {release.name}", partial(self.seed_release, release))
            for move in release.moves:
                self.add(move.at, f"release {release.name} -> {move.to}", partial(self.move_release, release, move))
        for report in self.plan.reports:
            self.add(report.submitted_at, f"report {report.title!r}", partial(self.seed_report, report))
            for move in report.moves:
                self.add(move.at, f"report {report.title!r} -> {move.to}", partial(self.move_report, report, move))
        for case in self.plan.cases:
            self.plan_case(case)
        scored = [v for case in self.plan.cases for v in case.vulnerabilities if v.scoring]
        if scored:
            self.add(self.plan.today - dt.timedelta(hours=20), "threat data", partial(self.import_threat_data, scored))
        for advisory in self.plan.advisories:
            self.add(advisory.created_at, f"advisory {advisory.title!r}", partial(self.seed_advisory, advisory))
            for move in advisory.moves:
                label = f"advisory {advisory.title!r} -> {move.to}"
                self.add(move.at, label, partial(self.move_advisory, advisory, move))

    def plan_case(self, case: CasePlan) -> None:
        self.add(case.created_at, f"case {case.title!r}", partial(self.seed_case, case))
        for vulnerability in case.vulnerabilities:
            cve = vulnerability.cve_id
            self.add(vulnerability.created_at, f"vulnerability {cve}", partial(self.seed_vulnerability, case, cve))
            if vulnerability.scoring:
                story = vulnerability.scoring
                self.add(story.at, f"scoring {cve}", partial(self.score_vulnerability, cve, story))
            for fix in vulnerability.fixes:
                key = (cve, fix.product, fix.version)
                self.add(fix.created_at, f"fix {key}", partial(self.seed_fix, key, fix.release))
                for move in fix.moves:
                    self.add(move.at, f"fix {key} -> {move.to}", partial(self.move_fix, key, move))
        for move in case.moves:
            self.add(move.at, f"case {case.title!r} -> {move.to}", partial(self.move_case, case, move))

    # People and catalog ------------------------------------------------------------------------

    def seed_people_and_catalog(self) -> None:
        for person in PEOPLE:
            user = User.objects.filter(email=person.email).first()
            if user is None:
                user = create_user(
                    email=person.email,
                    role=person.role,
                    password=DEMO_PASSWORD,
                    actor=None,
                    display_name=person.display_name,
                )
                self.made("users", person.email)
            else:
                self.found("users")
            self.people[person.key] = user.pk
        teams = {}
        for spec in TEAMS:
            team, created = Team.objects.get_or_create(
                slug=spec.slug, defaults={"name": spec.name, "email": f"{spec.slug}@{EMAIL_DOMAIN}"}
            )
            self.tally("teams", spec.slug, created=created)
            teams[spec.slug] = team
        for person in PEOPLE:
            if person.team:
                teams[person.team].members.add(self.people[person.key])
        for product_spec in PRODUCTS:
            product, created = Product.objects.get_or_create(
                slug=product_spec.slug,
                defaults={
                    "name": product_spec.name,
                    "family": product_spec.family,
                    "owning_team": teams[product_spec.team],
                },
            )
            self.tally("products", product_spec.slug, created=created)
            self.products[product_spec.slug] = product.pk
            for version in product_spec.versions:
                eos = plan_end_of_support(version.end_of_support_months, self.plan.today.date())
                product_version, created = ProductVersion.objects.get_or_create(
                    product=product, version=version.version, defaults={"end_of_support": eos}
                )
                key = (product_spec.slug, version.version)
                self.tally("product versions", key, created=created)
                self.versions[key] = product_version.pk

    # Releases ---------------------------------------------------------------------------------

    def seed_release(self, plan: ReleasePlan) -> None:
        release = Release.objects.filter(name=plan.name).first()
        if release is None:
            release = create_release(
                name=plan.name,
                release_date=plan.release_date,
                kind=Release.Kind.SCHEDULED,
                actor=self.person("release_manager"),
            )
            self.made("releases", plan.name)
        else:
            self.found("releases")
        self.releases[plan.name] = release.pk

    def move_release(self, plan: ReleasePlan, move: Move) -> None:
        if ("releases", plan.name) in self.fresh:
            release = Release.objects.get(pk=self.releases[plan.name])
            transition_release(release, move.to, actor=self.person("release_manager"), reason=move.reason)

    # Reports ----------------------------------------------------------------------------------

    def seed_report(self, plan: ReportPlan) -> None:
        researcher = self.person(plan.researcher)
        report = Report.objects.filter(researcher=researcher, title=plan.title).first()
        if report is None:
            submission = ReportSubmission(
                title=plan.title,
                description=plan.description,
                product=Product.objects.get(pk=self.products[plan.product]) if plan.product else None,
                product_other=plan.product_other,
                affected_versions=plan.affected_versions,
                impact_type=plan.impact_type,
                cwe=plan.cwe,
                suggested_cvss_vector=plan.suggested_cvss_vector,
                accepts_policy=True,
            )
            report = submit_report(submission, actor=researcher).report
            self.made("reports", plan.title)
        else:
            self.found("reports")
        self.reports[plan.title] = report.pk

    def move_report(self, plan: ReportPlan, move: Move) -> None:
        if ("reports", plan.title) not in self.fresh:
            return
        original = Report.objects.get(pk=self.reports[move.duplicate_of]) if move.duplicate_of else None
        # A move to Needs info carries its question for the researcher (the plan's reason is one).
        asks = move.to == Report.State.NEEDS_INFO
        transition_report(
            Report.objects.get(pk=self.reports[plan.title]),
            move.to,
            actor=self.person("analyst"),
            reason="" if asks else move.reason,
            duplicate_of=original,
            question=move.reason if asks else "",
        )

    # Cases, vulnerabilities and fixes --------------------------------------------------------------

    def seed_case(self, plan: CasePlan) -> None:
        case = Case.objects.filter(title=plan.title).first()
        if case is None:
            case = create_case(
                title=plan.title,
                reports=list(Report.objects.filter(pk__in=[self.reports[title] for title in plan.reports])),
                actor=self.person("analyst"),
                owner=self.person("coordinator"),
                summary=plan.summary,
            )
            self.made("cases", plan.title)
        else:
            self.found("cases")
        self.cases[plan.title] = case.pk

    def move_case(self, plan: CasePlan, move: Move) -> None:
        if ("cases", plan.title) in self.fresh:
            case = Case.objects.get(pk=self.cases[plan.title])
            transition_case(case, move.to, actor=self.person("coordinator"), reason=move.reason)

    def seed_vulnerability(self, case_plan: CasePlan, cve_id: str) -> None:
        vulnerability = Vulnerability.objects.filter(cve_id=cve_id).first()
        if vulnerability is None:
            plan = next(v for v in case_plan.vulnerabilities if v.cve_id == cve_id)
            details = VulnerabilityDetails(
                title=plan.title,
                impact_type=plan.impact_type,
                severity=plan.severity,
                cve_id=plan.cve_id,
                description=plan.description,
                cwe=plan.cwe,
                cvss_vector=plan.cvss_vector,
            )
            case = Case.objects.get(pk=self.cases[case_plan.title])
            vulnerability = create_vulnerability(case, details, actor=self.person("analyst"))
            self.made("vulnerabilities", cve_id)
        else:
            self.found("vulnerabilities")
        self.vulnerabilities[cve_id] = vulnerability.pk

    def seed_fix(self, key: tuple[str, str, str], release_name: str) -> None:
        cve_id, product, version = key
        version_pk = self.versions[(product, version)]
        fix = Fix.objects.filter(vulnerability_id=self.vulnerabilities[cve_id], product_version_id=version_pk).first()
        if fix is None:
            fix = create_fix(
                Vulnerability.objects.get(pk=self.vulnerabilities[cve_id]),
                ProductVersion.objects.select_related("product").get(pk=version_pk),
                actor=self.person("release_manager"),
                target_release_id=self.releases[release_name] if release_name else None,
            )
            self.made("fixes", key)
        else:
            self.found("fixes")
        self.fixes[key] = fix.pk

    def move_fix(self, key: tuple[str, str, str], move: Move) -> None:
        if ("fixes", key) not in self.fresh:
            return
        fix = Fix.objects.select_related("team").get(pk=self.fixes[key])
        # The demo engineer works on their own team's fixes; the release manager moves the rest.
        engineer = self.person("engineer")
        actor = engineer if fix.team.members.filter(pk=engineer.pk).exists() else self.person("release_manager")
        transition_fix(fix, move.to, actor=actor, reason=move.reason, fixed_version=move.fixed_version)

    # Scoring and threat data ----------------------------------------------------------------------

    def score_vulnerability(self, cve_id: str, story: ScoringPlan) -> None:
        """Rate the product, assess exploitability and decide with SSVC, as an analyst would.

        Only for a vulnerability created in this run: its assessments are its story, like moves.
        """
        if ("vulnerabilities", cve_id) not in self.fresh:
            return
        analyst = self.person("analyst")
        vulnerability = Vulnerability.objects.get(pk=self.vulnerabilities[cve_id])
        conditions = severity_conditions(
            vulnerability.impact_type, cvss_vector=vulnerability.cvss_vector, product_kind=story.product_kind
        )
        assess_product_severity(
            vulnerability,
            Product.objects.get(pk=self.products[story.product]),
            conditions,
            actor=analyst,
            severity=vulnerability.severity,
            rationale=story.severity_rationale,
        )
        assess_exploitability(
            vulnerability,
            latest_release=story.latest_release,
            older_releases=story.older_releases,
            is_publicly_disclosed=story.is_publicly_disclosed,
            is_exploited=story.is_exploited,
            actor=analyst,
            rationale=story.exploitability_rationale,
        )
        trees = [(SsvcAssessment.Tree.SUPPLIER, story.supplier, story.ssvc_rationale)]
        if story.deployer:
            trees.append((SsvcAssessment.Tree.DEPLOYER, story.deployer, story.deployer_rationale))
        for tree, values, rationale in trees:
            decision = decide_ssvc(tree, dict(values))
            record_ssvc_decision(vulnerability, decision, actor=analyst, rationale=rationale)

    def import_threat_data(self, scored: list[VulnerabilityPlan]) -> None:
        """A (fictional) KEV catalog and EPSS file listing the demo's CVEs, through the import services.

        Looked up by CVE id: a catalog or file whose CVEs are all stored already is not imported again.
        """
        analyst = self.person("analyst")
        today = self.plan.today.date()
        stories = [(v, v.scoring) for v in scored if v.scoring]
        kev = [(v, story) for v, story in stories if story.in_kev]
        kev_ids = [v.cve_id for v, _story in kev]
        if kev and KnownExploitedVulnerability.objects.filter(cve_id__in=kev_ids).count() < len(kev):
            catalog = {
                "title": "CISA Catalog of Known Exploited Vulnerabilities (vulndesk demo: fictional entries)",
                "catalogVersion": f"{today:%Y.%m.%d}",
                "dateReleased": f"{today:%Y-%m-%d}T00:00:00.000Z",
                "count": len(kev),
                "vulnerabilities": [self._kev_entry(v, story) for v, story in kev],
            }
            import_kev(parse_kev(json.dumps(catalog).encode()), file_name="demo-kev.json", actor=analyst)
            self.made("threat imports", "kev")
        elif kev:
            self.found("threat imports")
        epss = [(v.cve_id, story.epss) for v, story in stories if story.epss]
        if epss and EpssScore.objects.filter(cve_id__in=[cve for cve, _ in epss]).count() < len(epss):
            lines = [f"#model_version:v2025.03.14,score_date:{today:%Y-%m-%d}T00:00:00+0000", "cve,epss,percentile"]
            lines += [f"{cve},{score:.5f},{percentile:.5f}" for cve, (score, percentile) in epss]
            data = ("\n".join(lines) + "\n").encode()
            import_epss(parse_epss(io.BytesIO(data)), file_name="demo-epss.csv", actor=analyst)
            self.made("threat imports", "epss")
        elif epss:
            self.found("threat imports")

    @staticmethod
    def _kev_entry(vulnerability: VulnerabilityPlan, story: ScoringPlan) -> dict[str, str]:
        added = story.at.date() + dt.timedelta(days=1)
        product = next(spec.name for spec in PRODUCTS if spec.slug == story.product)
        return {
            "cveID": vulnerability.cve_id,
            "vendorProject": VENDOR,
            "product": product.removeprefix(VENDOR.split(" ")[0]).strip(),
            "vulnerabilityName": vulnerability.title,
            "dateAdded": f"{added:%Y-%m-%d}",
            "shortDescription": vulnerability.description[:300],
            "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product.",
            "dueDate": f"{added + dt.timedelta(days=21):%Y-%m-%d}",
            "knownRansomwareCampaignUse": "Unknown",
            "notes": "",
        }

    # Advisories -------------------------------------------------------------------------------

    def seed_advisory(self, plan: AdvisoryPlan) -> None:
        advisory = Advisory.objects.filter(title=plan.title).first()
        if advisory is None:
            advisory = create_advisory(
                title=plan.title,
                summary=plan.summary,
                vulnerabilities=list(Vulnerability.objects.filter(cve_id__in=plan.cve_ids)),
                actor=self.person("analyst"),
                release=Release.objects.get(pk=self.releases[plan.release]),
            )
            self.made("advisories", plan.title)
        else:
            self.found("advisories")
        self.advisories[plan.title] = advisory.pk

    def move_advisory(self, plan: AdvisoryPlan, move: Move) -> None:
        if ("advisories", plan.title) in self.fresh:
            advisory = Advisory.objects.select_related("release").get(pk=self.advisories[plan.title])
            transition_advisory(advisory, move.to, actor=self.person("coordinator"), reason=move.reason)
