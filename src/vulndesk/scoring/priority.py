"""Priority P0 to P4 from everything scoring knows, with an explanation a program manager can check.

The starting point is the MSRC-style severity (Critical → P1, Important → P2, Moderate → P3,
Low → P4); evidence of attack moves it up, and only evidence moves it up:

- exploited in the wild (Exploitation Detected, or listed in CISA's KEV catalog): P0 for
  Critical and Important, at least P1 otherwise;
- SSVC supplier outcome Immediate: P0; Out-of-cycle: at least P1; Defer (and no exploitation
  evidence): one level down;
- Exploitation More Likely in an internet-facing service the vendor runs: one level up
  (a Critical RCE there is P0);
- publicly disclosed, an EPSS probability of at least 10% (roughly the top 5% of CVEs), or
  at least 10,000 affected customers: one level up each, but not beyond P1 on their own.

Each priority maps to the response it asks for and a fix due time. The due time is the
triage SLA's fix target for that priority (`triage.SlaTarget`, defaults P0 7, P1 30, P2 60,
P3 90, P4 180 calendar days), which the caller passes in, so that the explanation always
names the target the case's fix clock enforces.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from vulndesk.core.taxonomy import ImpactType, Severity

EPSS_HIGH = 0.1
MANY_CUSTOMERS = 10_000
BASE_LEVEL = {Severity.CRITICAL: 1, Severity.IMPORTANT: 2, Severity.MODERATE: 3, Severity.LOW: 4}
# Priority → what it asks for. How soon is the fix clock's target, configured in triage.
ACTIONS: dict[int, str] = {
    0: "out-of-band release",
    1: "next monthly release",
    2: "an upcoming monthly release",
    3: "a later monthly release",
    4: "a future release or the next version",
}
EXPLOITABILITY_LABELS = {
    "detected": "exploitation detected",
    "more_likely": "exploitation more likely",
    "less_likely": "exploitation less likely",
    "unlikely": "exploitation unlikely",
}


@dataclass(frozen=True)
class PriorityInputs:
    severity: str
    impact_type: str
    latest_release: str = ""  # exploitability of the latest release, "" when not assessed
    older_releases: str = ""
    is_publicly_disclosed: bool = False
    is_exploited: bool = False
    ssvc_outcome: str = ""
    kev_date_added: dt.date | None = None
    epss: float | None = None
    is_internet_facing: bool | None = None  # None: exposure unknown (no product rated yet)
    affected_customers: int | None = None


@dataclass(frozen=True)
class Priority:
    level: int
    reasons: tuple[str, ...] = field(default=())
    fix_target: str = ""  # the fix clock's target for this level, e.g. "7 calendar days"

    @property
    def label(self) -> str:
        return f"P{self.level}"

    @property
    def action(self) -> str:
        return ACTIONS[self.level]

    @property
    def explanation(self) -> str:
        """e.g. "Critical RCE, exploitation more likely, internet-facing service → P0: out-of-band release, fix due in 7 calendar days"."""
        return f"{', '.join(self.reasons)} → {self.label}: {self.action}, fix due in {self.fix_target}"


def _impact_short(impact_type: str) -> str:
    return "RCE" if impact_type == ImpactType.REMOTE_CODE_EXECUTION else ImpactType(impact_type).label


def _reasons(inputs: PriorityInputs, exploitabilities: set[str]) -> list[str]:
    """What the explanation says, in reading order, before the raising evidence is added."""
    reasons = [f"{Severity(inputs.severity).label} {_impact_short(inputs.impact_type)}"]
    if inputs.latest_release in EXPLOITABILITY_LABELS:
        reasons.append(EXPLOITABILITY_LABELS[inputs.latest_release])
    elif "detected" in exploitabilities:
        reasons.append("exploitation detected in older releases")
    if inputs.kev_date_added:
        reasons.append(f"in CISA KEV since {inputs.kev_date_added.isoformat()}")
    if inputs.is_internet_facing is not None:
        reasons.append("internet-facing service" if inputs.is_internet_facing else "installed software")
    return reasons


def compute_priority(inputs: PriorityInputs, fix_targets: Mapping[int, str]) -> Priority:
    """The priority of `inputs`; `fix_targets` names the fix clock's target of each level (0..4)."""
    severity = Severity(inputs.severity)
    level = BASE_LEVEL[severity]
    exploitabilities = {inputs.latest_release, inputs.older_releases}
    reasons = _reasons(inputs, exploitabilities)
    is_exploited = inputs.is_exploited or "detected" in exploitabilities or inputs.kev_date_added is not None

    if is_exploited:
        level = 0 if severity in (Severity.CRITICAL, Severity.IMPORTANT) else min(level, 1)
    if "more_likely" in exploitabilities and inputs.is_internet_facing:
        level = max(0, level - 1)
    # Weaker signals: each raises one level, never past P1 on its own.
    weaker = [
        (inputs.is_publicly_disclosed, "publicly disclosed"),
        (inputs.epss is not None and inputs.epss >= EPSS_HIGH, f"EPSS {inputs.epss or 0:.0%}"),
        (
            inputs.affected_customers is not None and inputs.affected_customers >= MANY_CUSTOMERS,
            f"{inputs.affected_customers or 0:,} customers affected",
        ),
    ]
    for is_present, reason in weaker:
        if is_present:
            reasons.append(reason)
            level = min(level, max(1, level - 1))
    if inputs.ssvc_outcome:
        reasons.append(f"SSVC {inputs.ssvc_outcome}")
        if inputs.ssvc_outcome == "immediate":
            level = 0
        elif inputs.ssvc_outcome == "out-of-cycle":
            level = min(level, 1)
        elif inputs.ssvc_outcome == "defer" and not is_exploited:
            level = min(4, level + 1)
    return Priority(level, tuple(reasons), fix_targets[level])
