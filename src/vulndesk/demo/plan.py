"""What the demo tells: a deterministic plan of reports, cases, fixes, releases and advisories.

Pure Python, no database: `build_plan(today)` returns the same plan for the same day. Every
object carries the moment it was created and the moments of its later state changes; the
seeder replays the plan through the services in time order. The times respect cause and
effect (a case opens after its reports are confirmed, a release ships after its fixes are
ready, an advisory is published after its release ships), which the seeder relies on.
"""

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.demo.data import (
    DISPUTED,
    FLAWS,
    NOT_VULNERABILITIES,
    OUT_OF_SCOPE,
    PRODUCTS,
    SKILLED_RESEARCHERS,
    SPAM,
    WONT_FIX,
    FlawSpec,
    NoteSpec,
    ProductSpec,
)
from vulndesk.lib.calendars import next_second_tuesday, second_tuesday
from vulndesk.lib.cvss_vectors import score_cvss_vector

# Changing the seed changes every generated title and date: demo databases seeded before
# would then get a second set of reports. Leave it alone.
SEED = 20261110
# The catalog and the staff accounts predate the oldest report by a few months.
CATALOG_AGE = dt.timedelta(days=240)
PUBLISH_HOUR = 17  # UTC; advisories go out in the vendor's morning


@dataclass(frozen=True)
class Move:
    """A state change at a planned moment."""

    at: dt.datetime
    to: str
    reason: str = ""
    duplicate_of: str = ""  # the original report's title, for moves to "duplicate"
    fixed_version: str = ""  # for fixes moving to "ready"


@dataclass
class ReportPlan:
    title: str
    researcher: str  # a PersonSpec key
    description: str
    submitted_at: dt.datetime
    product: str = ""  # a catalog slug, or empty with `product_other`
    product_other: str = ""
    affected_versions: str = ""
    impact_type: str = ""
    cwe: str = ""
    suggested_cvss_vector: str = ""
    moves: list[Move] = field(default_factory=list)

    @property
    def final_state(self) -> str:
        return self.moves[-1].to if self.moves else "new"


@dataclass
class FixPlan:
    product: str
    version: str
    created_at: dt.datetime
    release: str = ""  # the target release's name
    moves: list[Move] = field(default_factory=list)


@dataclass(frozen=True)
class ScoringPlan:
    """What the analysts found out about a vulnerability after recording it, through the scoring services."""

    at: dt.datetime
    product: str  # the catalog slug of the product rated
    product_kind: str  # ProductSeverity.Kind
    latest_release: str  # Exploitability
    older_releases: str
    is_publicly_disclosed: bool
    is_exploited: bool
    exploitability_rationale: str
    supplier: dict[str, str]  # SSVC supplier tree values
    ssvc_rationale: str
    deployer: dict[str, str] | None = None  # SSVC deployer tree values, for services the vendor runs
    deployer_rationale: str = ""
    severity_rationale: str = ""  # why the rating differs from the bug bar's proposal, if it does
    in_kev: bool = False  # the (fictional) KEV catalog lists its CVE
    epss: tuple[float, float] | None = None  # (score, percentile) in the (fictional) EPSS file


@dataclass
class VulnerabilityPlan:
    cve_id: str
    title: str
    description: str
    impact_type: str
    severity: str
    cwe: str
    cvss_vector: str
    created_at: dt.datetime
    fixes: list[FixPlan] = field(default_factory=list)
    scoring: ScoringPlan | None = None


@dataclass
class CasePlan:
    title: str
    summary: str
    reports: list[str]  # report titles
    created_at: dt.datetime
    vulnerabilities: list[VulnerabilityPlan] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)  # besides those the fixes cause


@dataclass
class ReleasePlan:
    name: str
    release_date: dt.date
    created_at: dt.datetime
    moves: list[Move] = field(default_factory=list)


@dataclass
class AdvisoryPlan:
    title: str
    summary: str
    cve_ids: list[str]
    release: str
    created_at: dt.datetime
    moves: list[Move] = field(default_factory=list)


@dataclass
class DemoPlan:
    today: dt.datetime
    catalog_at: dt.datetime
    releases: list[ReleasePlan]
    reports: list[ReportPlan]
    cases: list[CasePlan]
    advisories: list[AdvisoryPlan]


def severity_for(vector: str) -> str:
    score = score_cvss_vector(vector).base_score
    if score >= 9:
        return Severity.CRITICAL
    if score >= 7:
        return Severity.IMPORTANT
    if score >= 4:
        return Severity.MODERATE
    return Severity.LOW


def previous_second_tuesday(before: dt.date) -> dt.date:
    """The last monthly release day strictly before `before`."""
    candidate = second_tuesday(before.year, before.month)
    if candidate < before:
        return candidate
    year, month = (before.year - 1, 12) if before.month == 1 else (before.year, before.month - 1)
    return second_tuesday(year, month)


def end_of_support(months: int | None, today: dt.date) -> dt.date | None:
    """Support ends on a release day, `months` from today's month."""
    if months is None:
        return None
    index = today.year * 12 + today.month - 1 + months
    return second_tuesday(index // 12, index % 12 + 1)


_PRODUCTS = {product.slug: product for product in PRODUCTS}


@dataclass(frozen=True)
class _Flaw:
    """One flaw in one component of one product: what a report, and later a vulnerability, is about."""

    product: ProductSpec
    component: str
    spec: FlawSpec

    def text(self, template: str, version: str = "") -> str:
        return template.format(component=self.component, product=self.product.name, version=version)

    @property
    def title(self) -> str:
        return self.text(self.spec.title)

    @property
    def alt_title(self) -> str:
        text = self.text(self.spec.alt_title)
        return text[0].upper() + text[1:]


class _Planner:
    def __init__(self, today: dt.datetime) -> None:
        self.today = today
        # Seeded: the same plan on every run, so a second run finds every object it would create.
        self.rng = random.Random(SEED)  # noqa: S311  # demo data, not security
        self.pool = [
            _Flaw(product, component, spec)
            for product in PRODUCTS
            for component in product.components
            for spec in FLAWS
            if product.kind in spec.kinds
        ]
        self.rng.shuffle(self.pool)
        self.used_components: set[tuple[str, str]] = set()
        self.cve_number = 50100
        self.flaw_of: dict[str, _Flaw] = {}  # report title -> the flaw it describes
        self.reports: list[ReportPlan] = []
        self.cases: list[CasePlan] = []
        self.advisories: list[AdvisoryPlan] = []

    # Small helpers -------------------------------------------------------------------------

    def days(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(minutes=round(self.rng.uniform(low, high) * 24 * 60))

    def ago(self, low: float, high: float) -> dt.datetime:
        return self.today - self.days(low, high)

    def skilled(self, *, besides: str = "") -> str:
        return self.rng.choice([key for key in SKILLED_RESEARCHERS if key != besides])

    def take_flaw(self, *, needs_cvss4: bool = False) -> _Flaw:
        """A flaw in a component no other report is about, so titles and cases stay distinct."""
        for index, flaw in enumerate(self.pool):
            if (flaw.product.slug, flaw.component) in self.used_components:
                continue
            if needs_cvss4 and not flaw.spec.cvss4_vector:
                continue
            self.used_components.add((flaw.product.slug, flaw.component))
            return self.pool.pop(index)
        raise LookupError("The demo ran out of distinct flaws; add components or flaw types.")

    def second_flaw(self, flaw: _Flaw) -> _Flaw:
        """Another kind of flaw in the same component."""
        for index, other in enumerate(self.pool):
            if (other.product, other.component) == (flaw.product, flaw.component) and other.spec != flaw.spec:
                return self.pool.pop(index)
        raise LookupError(f"No second flaw type fits {flaw.component}.")

    def next_cve(self, year: int) -> str:
        self.cve_number += self.rng.randint(3, 41)
        return f"CVE-{year}-{self.cve_number}"

    def supported_versions(self, product: ProductSpec, on: dt.date) -> list[str]:
        return [
            version.version
            for version in product.versions
            if (eos := end_of_support(version.end_of_support_months, self.today.date())) is None or eos >= on
        ]

    def forward(self, start: dt.datetime, steps: Sequence[tuple[str, str, float, float]]) -> list[Move]:
        """Moves one after another from `start`, each `low`..`high` days after the one before."""
        moves, at = [], start
        for to, reason, low, high in steps:
            at += self.days(low, high)
            moves.append(Move(at=at, to=to, reason=reason))
        return moves

    # Reports -------------------------------------------------------------------------------

    def flaw_report(self, flaw: _Flaw, researcher: str, submitted_at: dt.datetime, *, alt: bool = False) -> ReportPlan:
        versions = self.supported_versions(flaw.product, submitted_at.date()) or [flaw.product.versions[-1].version]
        version = self.rng.choice(versions)
        steps = "\n".join(f"{number}. {flaw.text(step, version)}" for number, step in enumerate(flaw.spec.steps, 1))
        description = (
            f"{flaw.text(flaw.spec.summary, version)}\n\nSteps to reproduce:\n{steps}\n\n"
            f"Impact: {flaw.text(flaw.spec.impact, version)}\n\nTested on {flaw.product.name} {version}."
        )
        report = ReportPlan(
            title=flaw.alt_title if alt else flaw.title,
            researcher=researcher,
            description=description,
            submitted_at=submitted_at,
            product=flaw.product.slug,
            affected_versions=version,
            impact_type=flaw.spec.impact_type,
            cwe=flaw.spec.cwe,
            # About half the researchers suggest a score.
            suggested_cvss_vector=flaw.spec.cvss_vector if self.rng.random() < 0.5 else "",
        )
        self.reports.append(report)
        self.flaw_of[report.title] = flaw
        return report

    def note_report(self, note: NoteSpec, researcher: str, submitted_at: dt.datetime) -> ReportPlan:
        report = ReportPlan(
            title=note.title,
            researcher=researcher,
            description=note.description,
            submitted_at=submitted_at,
            product=note.product,
            product_other=note.product_other,
        )
        self.reports.append(report)
        return report

    def confirm_by(self, report: ReportPlan, confirmed_at: dt.datetime) -> None:
        """Give `report` a triage history that ends confirmed at `confirmed_at`, and back-date its submission."""
        validating_at = confirmed_at - self.days(2, 8)
        triaging_at = validating_at - self.days(0.5, 4)
        report.submitted_at = triaging_at - self.days(0.05, 2)
        report.moves = [
            Move(triaging_at, "triaging"),
            Move(
                validating_at,
                "validating",
                f"Reproducing on {_PRODUCTS[report.product].name} {report.affected_versions}.",
            ),
            Move(confirmed_at, "confirmed", "Reproduced; crosses a security boundary and meets the servicing bar."),
        ]

    # Cases, fixes, releases and advisories ----------------------------------------------------

    def case(
        self,
        flaws: list[_Flaw],
        reports: list[ReportPlan],
        *,
        created_at: dt.datetime,
        cve_year: int,
        release: ReleasePlan | None,
        fix_state: str,
        cvss4: bool = False,
        with_vulnerabilities: bool = True,
    ) -> CasePlan:
        first = flaws[0]
        title = (
            f"{first.title} ({first.product.name})"
            if len(flaws) == 1
            else f"Multiple issues in the {first.component} ({first.product.name})"
        )
        case = CasePlan(
            title=title,
            summary=first.text(first.spec.summary),
            reports=[report.title for report in reports],
            created_at=created_at,
        )
        if with_vulnerabilities:
            for flaw in flaws:
                vector = flaw.spec.cvss4_vector if cvss4 and flaw.spec.cvss4_vector else flaw.spec.cvss_vector
                label = ImpactType(flaw.spec.impact_type).label
                vulnerability = VulnerabilityPlan(
                    cve_id=self.next_cve(cve_year),
                    title=f"{flaw.product.name} {label} Vulnerability",
                    description=f"{flaw.text(flaw.spec.summary)} {flaw.text(flaw.spec.impact)}",
                    impact_type=flaw.spec.impact_type,
                    severity=severity_for(vector),
                    cwe=flaw.spec.cwe,
                    cvss_vector=vector,
                    created_at=created_at + dt.timedelta(hours=2),
                )
                if release is not None:
                    vulnerability.fixes = self.fixes(flaw.product, created_at, release, fix_state)
                case.vulnerabilities.append(vulnerability)
        self.cases.append(case)
        return case

    def fixes(self, product: ProductSpec, case_at: dt.datetime, release: ReleasePlan, state: str) -> list[FixPlan]:
        created_at = case_at + self.days(1, 2)
        supported = set(self.supported_versions(product, release.release_date))
        release_at = dt.datetime.combine(release.release_date, dt.time(PUBLISH_HOUR), tzinfo=dt.UTC)
        fixes: list[FixPlan] = []
        for version in product.versions:
            fix = FixPlan(product=product.slug, version=version.version, created_at=created_at)
            if version.version not in supported:
                eos = end_of_support(version.end_of_support_months, self.today.date())
                fix.moves = [
                    Move(
                        created_at + dt.timedelta(hours=1),
                        "wont_fix",
                        f"{product.name} {version.version} left support on {eos:%Y-%m-%d}; customers should upgrade.",
                    )
                ]
                fixes.append(fix)
                continue
            fix.release = release.name
            started_at = created_at + self.days(0.5, 3)
            ready_at = min(release_at - self.days(8, 12), self.today - self.days(0.5, 1.5))
            build = f"{version.version}.{self.rng.randint(100, 2999)}"
            # In the upcoming release the fixes are at different stages; the first lags behind.
            is_first = not any(fix.release for fix in fixes)
            wanted = ("planned" if is_first else "in_progress") if state == "mixed" else state
            if wanted in {"in_progress", "ready"}:
                fix.moves.append(Move(started_at, "in_progress", "Fix under development."))
            if wanted == "ready":
                fix.moves.append(Move(max(ready_at, started_at + dt.timedelta(hours=6)), "ready", fixed_version=build))
            fixes.append(fix)
        return fixes

    def release(self, release_date: dt.date, *, shipped: bool) -> ReleasePlan:
        name = f"{release_date:%B %Y} Security Updates"
        release_at = dt.datetime.combine(release_date, dt.time(PUBLISH_HOUR), tzinfo=dt.UTC)
        # Release trains are on the calendar months ahead.
        plan = ReleasePlan(name=name, release_date=release_date, created_at=release_at - dt.timedelta(days=62))
        if shipped:
            plan.moves = [
                Move(release_at - dt.timedelta(days=7), "frozen", "Code freeze: only release blockers from now on."),
                Move(release_at, "released", "Shipped on schedule."),
            ]
        return plan

    def advisory(self, case: CasePlan, release: ReleasePlan, *, created_at: dt.datetime, states: list[Move]) -> None:
        first = case.vulnerabilities[0]
        title = first.title if len(case.vulnerabilities) == 1 else case.title
        # Advisory titles must be unique: they are how a second run recognises them.
        if any(advisory.title == title for advisory in self.advisories):
            title = f"{title}: {case.title.split(' (')[0]}"
        cves = ", ".join(vulnerability.cve_id for vulnerability in case.vulnerabilities)
        summary = (
            f"{case.summary} "
            f"The security update in {release.name} addresses {cves}. "
            "Customers should install it; no workaround is known."
        )
        self.advisories.append(
            AdvisoryPlan(
                title=title,
                summary=summary,
                cve_ids=[vulnerability.cve_id for vulnerability in case.vulnerabilities],
                release=release.name,
                created_at=created_at,
                moves=states,
            )
        )

    # The stories ---------------------------------------------------------------------------------

    def shipped_cases(self, shipped: list[ReleasePlan]) -> list[ReportPlan]:
        """Cases fixed in the shipped releases; returns reports that others will duplicate."""
        originals: list[ReportPlan] = []
        # Each case groups one or two confirmed reports; publishing its advisory fixes them.
        shapes = (("pair", "single", "two-flaws"), ("pair", "single", "pair", "pair"))
        for release, release_shapes in zip(shipped, shapes, strict=True):
            release_at = release.moves[-1].at
            for index, shape in enumerate(release_shapes):
                cvss4 = release is shipped[1] and index == 1
                flaw = self.take_flaw(needs_cvss4=cvss4)
                flaws = [flaw, self.second_flaw(flaw)] if shape == "two-flaws" else [flaw]
                researcher = self.skilled()
                reports = [self.flaw_report(flaws[0], researcher, self.today)]
                if shape == "pair":
                    reports.append(self.flaw_report(flaw, self.skilled(besides=researcher), self.today, alt=True))
                elif shape == "two-flaws":
                    reports.append(self.flaw_report(flaws[1], researcher, self.today))
                for report in reports:
                    self.confirm_by(report, release_at - self.days(20, 36))
                if shape != "pair":
                    originals.extend(reports)
                case_at = max(report.moves[-1].at for report in reports) + self.days(0.2, 1.5)
                case = self.case(
                    flaws,
                    reports,
                    created_at=case_at,
                    cve_year=release.release_date.year,
                    release=release,
                    fix_state="ready",
                    cvss4=cvss4,
                )
                moment = dt.timedelta(minutes=5 * (index + 1))
                approved = Move(
                    release_at - dt.timedelta(days=2) + moment, "approved", "Reviewed with the product team."
                )
                published = Move(release_at + moment, "published")
                created_at = release_at - dt.timedelta(days=6) + moment
                self.advisory(case, release, created_at=created_at, states=[approved, published])
        return originals

    def upcoming_cases(self, upcoming: ReleasePlan) -> None:
        """The next release: cases at every stage, advisories drafted or approved, nothing public."""
        stages = [
            ("pair", "in_progress", "draft"),
            ("single", "ready", "approved"),
            ("pair", "mixed", "draft"),
            ("single", "ready", "approved"),
            ("single", "", ""),  # a case just opened: vulnerability recorded, no fix planned yet
        ]
        for index, (shape, fix_state, advisory_state) in enumerate(stages):
            flaw = self.take_flaw(needs_cvss4=index == 3)
            researcher = self.skilled()
            reports = [self.flaw_report(flaw, researcher, self.today)]
            if shape == "pair":
                reports.append(self.flaw_report(flaw, self.skilled(besides=researcher), self.today, alt=True))
            for report in reports:
                self.confirm_by(report, self.ago(9, 22))
            case_at = max(report.moves[-1].at for report in reports) + self.days(0.2, 1.5)
            case = self.case(
                [flaw],
                reports,
                created_at=case_at,
                cve_year=self.today.year,
                release=upcoming if fix_state else None,
                fix_state=fix_state,
                cvss4=index == 3,
            )
            if advisory_state:
                created_at = self.today - dt.timedelta(days=3) + dt.timedelta(minutes=10 * index)
                approved_at = self.today - dt.timedelta(days=1) + dt.timedelta(minutes=index)
                approved = Move(approved_at, "approved", "Reviewed with the product team.")
                self.advisory(
                    case, upcoming, created_at=created_at, states=[approved] if advisory_state == "approved" else []
                )
        for _ in range(3):  # confirmed this week, not in a case yet
            report = self.flaw_report(self.take_flaw(), self.skilled(), self.today)
            self.confirm_by(report, self.ago(0.2, 4))

    def closed_case(self) -> None:
        """A confirmed report whose case fell below the servicing bar: closed, the report won't fix."""
        flaw = self.take_flaw()
        report = self.flaw_report(flaw, self.skilled(), self.today)
        self.confirm_by(report, self.ago(100, 120))
        case_at = report.moves[-1].at + self.days(0.5, 1)
        closed_at = case_at + self.days(7, 14)
        case = self.case(
            [flaw],
            [report],
            created_at=case_at,
            cve_year=self.today.year,
            release=None,
            fix_state="",
            with_vulnerabilities=False,
        )
        reason = "Requires an already compromised administrator account; fixed in the next major version instead."
        case.moves = [Move(closed_at, "closed", reason)]
        report.moves.append(Move(closed_at + dt.timedelta(minutes=1), "wont_fix", reason))

    def queue(self) -> None:
        """The open triage queue, and reports closed in triage for every reason there is."""
        for _ in range(6):
            self.flaw_report(self.take_flaw(), self.skilled(), self.ago(0.05, 5))
        for _ in range(5):
            report = self.flaw_report(self.take_flaw(), self.skilled(), self.ago(3, 18))
            report.moves = self.forward(report.submitted_at, [("triaging", "", 0.1, 1.5)])
        ask = "Please attach the proof of concept and the exact build number; the steps given do not reproduce it."
        for _ in range(4):
            report = self.flaw_report(self.take_flaw(), self.skilled(), self.ago(9, 45))
            report.moves = self.forward(report.submitted_at, [("triaging", "", 0.1, 2), ("needs_info", ask, 1, 6)])
        for index in range(5):
            report = self.flaw_report(self.take_flaw(), self.skilled(), self.ago(12, 40))
            loop = [("needs_info", ask, 1, 3), ("triaging", "The researcher sent the missing details.", 1, 4)]
            steps = [("triaging", "", 0.1, 2), *(loop if index < 2 else []), ("validating", "", 0.5, 3)]
            report.moves = self.forward(report.submitted_at, steps)
        not_reproducible = "Not reproducible on a default installation of any supported version."
        for _ in range(3):
            report = self.flaw_report(self.take_flaw(), self.skilled(), self.ago(30, 140))
            steps = [
                ("triaging", "", 0.1, 2),
                ("validating", "", 0.5, 3),
                ("not_reproducible", not_reproducible, 3, 10),
            ]
            report.moves = self.forward(report.submitted_at, steps)
        for note in NOT_VULNERABILITIES:
            report = self.note_report(note, "quickbounty", self.ago(20, 150))
            steps = [("triaging", "", 0.1, 2), ("not_vulnerability", note.reason, 0.2, 3)]
            report.moves = self.forward(report.submitted_at, steps)
        for note in OUT_OF_SCOPE:
            report = self.note_report(note, "quickbounty", self.ago(20, 150))
            report.moves = self.forward(report.submitted_at, [("out_of_scope", note.reason, 0.2, 2)])
        for note in SPAM:
            report = self.note_report(note, "quickbounty", self.ago(20, 150))
            report.moves = self.forward(report.submitted_at, [("spam", note.reason, 0.02, 0.5)])
        for note in DISPUTED:
            report = self.note_report(note, self.skilled(), self.ago(25, 90))
            steps = [("triaging", "", 0.1, 2), ("validating", "", 0.5, 3), ("disputed", note.reason, 2, 6)]
            report.moves = self.forward(report.submitted_at, steps)
        for note in WONT_FIX:
            report = self.note_report(note, self.skilled(), self.ago(40, 130))
            steps = [("triaging", "", 0.1, 2), ("validating", "", 0.5, 3), ("wont_fix", note.reason, 2, 7)]
            report.moves = self.forward(report.submitted_at, steps)

    def duplicates(self, originals: list[ReportPlan]) -> None:
        """Other researchers find issues that were already reported."""
        reason = "Same root cause as an earlier report that is already being fixed."
        for index, original in enumerate(originals[:4]):
            researcher = self.skilled(besides=original.researcher) if index % 2 else "quickbounty"
            submitted_at = original.submitted_at + self.days(4, 15)
            duplicate = self.flaw_report(self.flaw_of[original.title], researcher, submitted_at, alt=True)
            steps = [("triaging", "", 0.1, 1)] if index < 2 else []
            duplicate.moves = self.forward(duplicate.submitted_at, [*steps, ("duplicate", reason, 0.3, 2)])
            last = duplicate.moves[-1]
            duplicate.moves[-1] = dataclasses.replace(last, duplicate_of=original.title)


def build_plan(today: dt.datetime) -> DemoPlan:
    """The demo for a vendor whose "today" is `today`: two shipped releases, one upcoming."""
    planner = _Planner(today)
    last_date = previous_second_tuesday(today.date())
    shipped = [
        planner.release(previous_second_tuesday(last_date), shipped=True),
        planner.release(last_date, shipped=True),
    ]
    upcoming = planner.release(next_second_tuesday(last_date), shipped=False)
    originals = planner.shipped_cases(shipped)
    planner.upcoming_cases(upcoming)
    planner.closed_case()
    planner.queue()
    planner.duplicates(originals)
    plan = DemoPlan(
        today=today,
        catalog_at=today - CATALOG_AGE,
        releases=[*shipped, upcoming],
        reports=planner.reports,
        cases=planner.cases,
        advisories=planner.advisories,
    )
    plan_scoring(plan)
    check_plan(plan)
    return plan


# Product kinds of data.ProductSpec → the bug bar's product kinds (ProductSeverity.Kind).
_PRODUCT_KIND = {"web": "online_service", "server": "server", "native": "client"}


def plan_scoring(plan: DemoPlan) -> None:
    """Give four vulnerabilities not yet shipped their exploitability, SSVC and threat-data story.

    Chosen by what they are, not by title, so the stories still find a fitting vulnerability
    when the generated data changes: the first critical one is being exploited (in KEV, high
    EPSS, SSVC Immediate), the first important information disclosure has a public proof of
    concept, the first denial of service is unlikely to be exploited (SSVC Defer), and the
    next critical one (else an important one) is likely to be exploited soon.
    """
    shipped = {release.name for release in plan.releases if release.moves}
    products = {spec.slug: spec for spec in PRODUCTS}
    reports = {report.title: report for report in plan.reports}
    candidates: list[tuple[VulnerabilityPlan, ProductSpec]] = []
    for case in plan.cases:
        slug = next((reports[title].product for title in case.reports if reports[title].product), "")
        for vulnerability in case.vulnerabilities:
            if slug and not any(fix.release in shipped for fix in vulnerability.fixes):
                candidates.append((vulnerability, products[slug]))
    taken: set[str] = set()

    def first(impact_types: set[str] | None, severity: str) -> tuple[VulnerabilityPlan, ProductSpec] | None:
        for vulnerability, product in candidates:
            if vulnerability.cve_id in taken or vulnerability.severity != severity:
                continue
            if impact_types is None or vulnerability.impact_type in impact_types:
                taken.add(vulnerability.cve_id)
                return vulnerability, product
        return None

    def at(vulnerability: VulnerabilityPlan, days: float) -> dt.datetime:
        return min(vulnerability.created_at + dt.timedelta(days=days), plan.today - dt.timedelta(days=1))

    exploited = first(None, Severity.CRITICAL)
    if exploited:
        vulnerability, product = exploited
        vulnerability.scoring = ScoringPlan(
            at=at(vulnerability, 2),
            product=product.slug,
            product_kind=_PRODUCT_KIND[product.kind],
            latest_release="detected",
            older_releases="detected",
            is_publicly_disclosed=True,
            is_exploited=True,
            exploitability_rationale=(
                "Customers' logs show the request pattern from the report since last week; "
                "a proof of concept is posted on a public forum."
            ),
            supplier={
                "exploitation": "active",
                "automatable": "yes",
                "value_density": "concentrated",
                "technical_impact": "total",
                "public_safety_impact": "minimal",
            },
            ssvc_rationale="Exploited in the wild, scriptable end to end, and every account is reachable.",
            deployer={"exploitation": "active", "exposure": "open", "automatable": "yes", "human_impact": "high"}
            if product.kind == "web"
            else None,
            deployer_rationale="We run it for every hosted customer: open to the internet, attacked now.",
            severity_rationale=(
                f"Kept {Severity(vulnerability.severity).label}: it bypasses sign-in completely, "
                "which the program treats like code execution on the accounts it exposes."
            ),
            in_kev=True,
            epss=(0.41237, 0.97342),
        )
    disclosed = first({ImpactType.INFORMATION_DISCLOSURE}, Severity.IMPORTANT)
    if disclosed:
        vulnerability, product = disclosed
        vulnerability.scoring = ScoringPlan(
            at=at(vulnerability, 3),
            product=product.slug,
            product_kind=_PRODUCT_KIND[product.kind],
            latest_release="more_likely",
            older_releases="more_likely",
            is_publicly_disclosed=True,
            is_exploited=False,
            exploitability_rationale="The researcher's write-up went public by mistake; no attacks seen so far.",
            supplier={
                "exploitation": "PoC",
                "automatable": "yes",
                "value_density": "diffuse",
                "technical_impact": "partial",
                "public_safety_impact": "minimal",
            },
            ssvc_rationale="Public proof of concept; reads one file at a time.",
            epss=(0.11804, 0.94217),
        )
    unlikely = first({ImpactType.DENIAL_OF_SERVICE}, Severity.IMPORTANT)
    if unlikely:
        vulnerability, product = unlikely
        vulnerability.scoring = ScoringPlan(
            at=at(vulnerability, 2),
            product=product.slug,
            product_kind=_PRODUCT_KIND[product.kind],
            latest_release="less_likely",
            older_releases="less_likely",
            is_publicly_disclosed=False,
            is_exploited=False,
            exploitability_rationale="Needs a crafted file an administrator has to import by hand.",
            supplier={
                "exploitation": "none",
                "automatable": "no",
                "value_density": "diffuse",
                "technical_impact": "partial",
                "public_safety_impact": "minimal",
            },
            ssvc_rationale="Not automatable, crashes one service that restarts on its own.",
            epss=(0.00412, 0.61022),
        )
    control: set[str] = {ImpactType.REMOTE_CODE_EXECUTION, ImpactType.ELEVATION_OF_PRIVILEGE}
    likely = first(None, Severity.CRITICAL) or first(control, Severity.IMPORTANT) or first(None, Severity.IMPORTANT)
    if likely:
        vulnerability, product = likely
        total = vulnerability.severity == Severity.CRITICAL or vulnerability.impact_type in control
        vulnerability.scoring = ScoringPlan(
            at=at(vulnerability, 2),
            product=product.slug,
            product_kind=_PRODUCT_KIND[product.kind],
            latest_release="more_likely",
            older_releases="more_likely",
            is_publicly_disclosed=False,
            is_exploited=False,
            exploitability_rationale="Reliable and reachable from the network; attackers look for this class.",
            supplier={
                "exploitation": "none",
                "automatable": "yes",
                "value_density": "concentrated",
                "technical_impact": "total" if total else "partial",
                "public_safety_impact": "minimal",
            },
            ssvc_rationale="No exploit known yet, but it is automatable and worth automating.",
            severity_rationale=f"Kept {Severity(vulnerability.severity).label}: the program rates this class so.",
        )


def check_plan(plan: DemoPlan) -> None:
    """Refuse a plan whose times could not have happened; the seeder relies on their order."""
    problems = []
    for report in plan.reports:
        times = [report.submitted_at, *(move.at for move in report.moves)]
        if times != sorted(times) or times[-1] >= plan.today or times[0] <= plan.catalog_at:
            problems.append(f"report {report.title!r}: {times}")
    titles = [report.title for report in plan.reports]
    if len(set(titles)) != len(titles):
        problems.append("report titles repeat")
    for case in plan.cases:
        for vulnerability in case.vulnerabilities:
            for fix in vulnerability.fixes:
                times = [case.created_at, vulnerability.created_at, fix.created_at, *(move.at for move in fix.moves)]
                if times != sorted(times) or times[-1] >= plan.today:
                    problems.append(f"fix for {vulnerability.cve_id} in {fix.version}: {times}")
            if vulnerability.scoring and not vulnerability.created_at < vulnerability.scoring.at < plan.today:
                problems.append(f"scoring of {vulnerability.cve_id} at {vulnerability.scoring.at}")
    if problems:
        raise ValueError("Inconsistent demo plan: " + "; ".join(problems))
